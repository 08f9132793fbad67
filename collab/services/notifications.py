"""The user's notifications (read, all read) and watching cards and boards.

Notifications are made by ``collab.notify`` as events are recorded; here they are read
and published. A watch of a card is changed under its board's lock, where
``collab.notify`` reads and writes watches too.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from collab.exceptions import NotAuthenticated, NotFound
from collab.models import Card, Notification, Watch
from collab.permissions import Action, AnyUser
from collab.representations import NotificationSerializer, represent
from collab.services.guards import board_for_write, row_for_write, stored_user
from realtime.publish import publish_notification


def notification_frame(notification: Notification) -> str:
    message = {
        "type": "notification",
        "notification": represent(NotificationSerializer, notification),
    }
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def publish_notifications(ids: list[int]) -> None:
    """Send new notifications to their users' sockets (after the commit that made them)."""
    for notification in Notification.objects.filter(pk__in=ids).select_related("actor"):
        publish_notification(notification.user_id, notification_frame(notification))


def notification_mark_read(*, actor: AnyUser, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (404 for anyone else's)."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    mine = Notification.objects.filter(pk=notification_id, user_id=actor.pk)
    mine.filter(read_at=None).update(read_at=timezone.now())
    notification = mine.select_related("actor").first()
    if notification is None:
        raise NotFound("Notification not found.")
    return notification


def notifications_mark_all_read(*, actor: AnyUser) -> int:
    """Mark every unread notification of the actor read; return how many changed."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    unread = Notification.objects.filter(user_id=actor.pk, read_at=None)
    return unread.update(read_at=timezone.now())


def watch_set(
    *, actor: AnyUser, watching: bool, card_id: int | None = None, board_id: int | None = None
) -> bool:
    """Start or stop watching a card (or, without ``card_id``, a board); return the state."""
    with transaction.atomic():
        if card_id is not None:
            card = row_for_write(actor, Card, card_id, Action.READ)
            target: dict[str, int | None] = {"card_id": card.pk, "board_id": card.board_id}
        else:
            assert board_id is not None
            board = board_for_write(actor, board_id, Action.READ)
            target = {"card_id": None, "board_id": board.pk}
        user = stored_user(actor)
        watch = Watch.objects.filter(user=user, **target).first()
        if watch is None:
            Watch.objects.create(user=user, watching=watching, **target)
        elif watch.watching != watching:
            watch.watching = watching
            watch.save(update_fields=["watching"])
    return watching
