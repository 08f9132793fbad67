"""Writes to users: sign-up, and suspending or reactivating (cut off everywhere at once)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import revocations
from accounts.models import User as StoredUser
from accounts.tickets import tickets_void_session
from collab.exceptions import Conflict, Forbidden, NotAuthenticated, NotFound
from collab.permissions import AnyUser, is_moderator
from collab.services.guards import stored_user
from collab.validation import clean_text, invalid
from realtime.publish import disconnect_session, disconnect_user, session_digest

User = get_user_model()


def user_signup(*, username: str, email: str, password: str) -> StoredUser:
    """Create an account, unless sign-up is switched off."""
    if not settings.ALLOW_SIGNUP:
        raise Forbidden("Sign-up is disabled on this instance.")
    if isinstance(username, str):
        # NFKC first, as create_user stores it: a fullwidth "member" is "member", and taken.
        username = User.normalize_username(username)
    username = clean_text(username, field="username", max_length=150)
    if not all(c.isalnum() or c in "@.+-_" for c in username):
        raise invalid("username", "Use letters, digits and @ . + - _ only.")
    email = clean_text(email, field="email", max_length=254, required=False)
    if email and ("@" not in email or " " in email):
        raise invalid("email", "Enter a valid email address.")
    if not isinstance(password, str) or not password:
        raise invalid("password", "May not be blank.")
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except DjangoValidationError as error:
        raise invalid("password", " ".join(error.messages)) from error
    taken = Conflict("This username is taken.", detail={"username": ["Already taken."]})
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=username).exists():
                raise taken
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as error:
        # A concurrent sign-up took the name between the check and the insert.
        raise taken from error


def session_ticket_ref(session_key: str | None) -> str | None:
    """Return what a socket ticket issued through a session records of it (a digest)."""
    return session_digest(session_key) if session_key else None


def session_end(*, session_key: str | None) -> None:
    """Cut off what a browser session opened, once it has ended (log-out).

    Its unspent socket tickets are voided and its sockets close, in every process; the
    same mark refuses a socket of the session that is still connecting
    (:mod:`accounts.revocations`). Call after the session itself is flushed; a missing
    key (no session) is a no-op.
    """
    if not session_key:
        return
    tickets_void_session(session_digest(session_key))
    transaction.on_commit(lambda: disconnect_session(session_key))


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
        user = User.objects.select_for_update(no_key=True).filter(pk=user_id).first()
        if user is None:
            raise NotFound("User not found.")
        if user.pk == actor.pk:
            raise Forbidden("You cannot suspend yourself.")
        if user.is_active == active:
            return
        user.is_active = active
        user.save(update_fields=["is_active"])
        if active:
            transaction.on_commit(lambda: revocations.unmark_user(user.pk))
        else:
            _end_sessions(user.pk)
            transaction.on_commit(lambda: _cut_off(user.pk))


def _cut_off(user_id: int) -> None:
    """Close a suspended user's sockets; the mark first, for sockets still connecting."""
    revocations.mark_user_suspended(user_id)
    disconnect_user(user_id)


def user_set_email_digests(*, actor: AnyUser, enabled: bool) -> StoredUser:
    """Turn the actor's own email digests of unread notifications on or off."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    user = stored_user(actor)
    StoredUser.objects.filter(pk=user.pk).update(email_digests=enabled)
    user.email_digests = enabled
    return user
