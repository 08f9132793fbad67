"""Suspending and reactivating users: cut off everywhere at once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from collab.exceptions import Forbidden, NotFound
from collab.permissions import AnyUser, is_moderator
from realtime.publish import disconnect_user

User = get_user_model()


def _end_sessions(user_id: int) -> None:
    """Delete the user's sessions (database sessions hold the user id in their data)."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()


def user_set_active(*, actor: AnyUser, user_id: int, active: bool) -> None:
    """Suspend (``active=False``) or reactivate a user.

    A suspended user's REST calls and tokens are refused (authentication checks
    ``is_active``), their sessions end, and their open sockets close within a second.
    """
    if not is_moderator(actor):
        raise Forbidden("Only moderators can suspend users.")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("User not found.")
        if user.pk == actor.pk:
            raise Forbidden("You cannot suspend yourself.")
        if user.is_active == active:
            return
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            _end_sessions(user.pk)
            transaction.on_commit(lambda: disconnect_user(user.pk))
