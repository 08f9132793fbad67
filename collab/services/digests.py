"""Email digests of unread notifications, sent by the background worker.

The first notification a user gets since their last digest queues a digest
``NOTIFICATION_DIGEST_MINUTES`` later; when it runs, it emails every notification still
unread and not emailed, once (the rows are locked while it sends), and nothing at all
to a suspended user, a user without an address or one who opted out
(``User.email_digests``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from collab.models import Notification, NotificationReason

VERBS = {
    NotificationReason.MENTIONED: "mentioned you on",
    NotificationReason.ASSIGNED: "assigned you to",
    NotificationReason.COMMENTED: "commented on",
    NotificationReason.CHANGED: "changed",
}


def schedule_digests(user_ids: list[int], created: list[Notification]) -> None:
    """Queue a digest for each user whose only unemailed notifications are ``created``."""
    from collab.tasks import send_digest

    new = {notification.pk for notification in created}
    waiting = Notification.objects.filter(user_id__in=user_ids, emailed_at=None, read_at=None)
    already = set(waiting.exclude(pk__in=new).values_list("user_id", flat=True))
    at = timezone.now() + timedelta(minutes=settings.NOTIFICATION_DIGEST_MINUTES)
    for user_id in sorted(set(user_ids) - already):
        send_digest.using(run_after=at).enqueue(user_id)


def _line(notification: Notification) -> str:
    who = notification.actor.username if notification.actor else "Someone"
    link = f"{settings.PUBLIC_URL.rstrip('/')}/b/{notification.board_id}"
    if notification.card_id:
        link += f"/c/{notification.card_id}"
    verb = VERBS[NotificationReason(notification.reason)]
    return f"- {who} {verb} “{notification.card_title}”: {link}"


def digest_send(*, user_id: int) -> int:
    """Email the user's unread, unemailed notifications; return how many went out."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email_digests or not user.email:
        return 0
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(user_id=user_id, emailed_at=None, read_at=None)
            .select_related("actor")
            .order_by("id")
        )
        if not pending:
            return 0
        count = len(pending)
        lines = "\n".join(_line(notification) for notification in pending)
        send_mail(
            f"Corkboard: {count} unread notification{'s' if count != 1 else ''}",
            f"Hello {user.username},\n\n{lines}\n\n"
            "To stop these emails, turn email digests off for your account\n"
            '(PATCH /api/v1/me/ with {"email_digests": false}).\n',
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
    return count
