"""Webhook endpoints (owners and admins) and the worker's step that delivers to them.

**Order.** Deliveries of one endpoint and board go out in seq order: the worker sends
only the head of that queue (its lowest pending seq), holding the head's row lock
(``NOWAIT``: a second worker that finds it taken leaves the queue to the first), and a
failed head holds the ones behind it until it succeeds or runs out of retries.

**Never lost, never twice under two ids.** The attempt runs inside the transaction
that records it. A worker killed mid-request rolls it back: the delivery is still
pending, and a safety-net task queued (and committed) before the request sends it
again, with the same ``webhook-id``.

**Lock order**, after ``collab.services.guards``'s: delivery rows, then the endpoint
row. Endpoint writes lock the endpoint alone; redeliveries update deliveries alone.

**Retries** wait ``WEBHOOK_RETRY_SCHEDULE[n]`` seconds (give or take the jitter) after
the n-th failed attempt; past the schedule the delivery is failed and the next one
goes. ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row disable the endpoint, and the
workspace's owners and admins are emailed.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import OperationalError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from collab.deliveries import ALL_EVENTS, event_payload, kick, kick_all, new_message_id, wants
from collab.event_types import REGISTRY
from collab.exceptions import NotFound
from collab.models import (
    Board,
    DeliveryState,
    Event,
    Membership,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from collab.permissions import Action, AnyUser, require
from collab.services.guards import UNSET, Unset
from collab.validation import clean_text, invalid
from collab.webhooks import Outcome, check_url, new_secret, post, signature

ENDPOINT_NOT_FOUND = "Webhook not found."
DELIVERY_NOT_FOUND = "Delivery not found."
MAX_ENDPOINTS = 20
# The safety net fires this long after the attempt starts: twice the request's timeout.
SAFETY_FACTOR = 2
LOCK_NOT_AVAILABLE = "55P03"


def require_manager(actor: AnyUser, workspace_id: int) -> None:
    """Owners and admins of the workspace manage its webhooks; superusers from the admin."""
    if actor.is_authenticated and actor.is_active and actor.is_superuser:
        return
    require(actor, workspace_id, Action.MANAGE_WORKSPACE, not_found="Workspace not found.")


def endpoint_for_manager(
    actor: AnyUser, endpoint_id: int, *, lock: bool = False
) -> WebhookEndpoint:
    """Return the endpoint if ``actor`` manages its workspace (404 for outsiders)."""
    rows = WebhookEndpoint.objects.filter(pk=endpoint_id)
    endpoint = rows.first()
    if endpoint is None:
        raise NotFound(ENDPOINT_NOT_FOUND)
    try:
        require_manager(actor, endpoint.workspace_id)
    except NotFound:
        raise NotFound(ENDPOINT_NOT_FOUND) from None
    if lock:
        endpoint = rows.select_for_update().first()
        if endpoint is None:
            raise NotFound(ENDPOINT_NOT_FOUND)
    return endpoint


def clean_url(url: object) -> str:
    if not isinstance(url, str):
        raise invalid("url", "Must be a string.")
    return check_url(clean_text(url, field="url", max_length=2000))


def clean_event_types(event_types: object) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise invalid("event_types", f'A non-empty list of event names, or ["{ALL_EVENTS}"].')
    unknown = [name for name in event_types if name != ALL_EVENTS and name not in REGISTRY]
    if unknown:
        raise invalid("event_types", f"Unknown event types: {', '.join(map(str, unknown))}.")
    return [ALL_EVENTS] if ALL_EVENTS in event_types else sorted(set(event_types))


def webhook_create(
    *,
    actor: AnyUser,
    workspace_id: int,
    url: str,
    event_types: list[str],
    description: str = "",
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; return it with its secret, which is never shown again."""
    require_manager(actor, workspace_id)
    url = clean_url(url)
    event_types = clean_event_types(event_types)
    description = clean_text(description, field="description", max_length=200, required=False)
    with transaction.atomic():
        # The workspace lock (first in the lock order) keeps the count true until commit.
        if not Workspace.objects.select_for_update().filter(pk=workspace_id).exists():
            raise NotFound("Workspace not found.")
        if WebhookEndpoint.objects.filter(workspace_id=workspace_id).count() >= MAX_ENDPOINTS:
            raise invalid("url", f"A workspace has at most {MAX_ENDPOINTS} webhooks.")
        endpoint = WebhookEndpoint.objects.create(
            workspace_id=workspace_id,
            url=url,
            event_types=event_types,
            description=description,
            active=active,
            secret=new_secret(),
            created_by=actor if actor.is_authenticated else None,
        )
    return endpoint, endpoint.secret


def webhook_update(
    *,
    actor: AnyUser,
    endpoint_id: int,
    url: str | Unset = UNSET,
    event_types: list[str] | Unset = UNSET,
    description: str | Unset = UNSET,
    active: bool | Unset = UNSET,
) -> WebhookEndpoint:
    """Change an endpoint; turning it back on resets its failures and resumes its queues."""
    with transaction.atomic():
        endpoint = endpoint_for_manager(actor, endpoint_id, lock=True)
        if not isinstance(url, Unset):
            endpoint.url = clean_url(url)
        if not isinstance(event_types, Unset):
            endpoint.event_types = clean_event_types(event_types)
        if not isinstance(description, Unset):
            endpoint.description = clean_text(
                description, field="description", max_length=200, required=False
            )
        resumed = not isinstance(active, Unset) and active and not endpoint.active
        if not isinstance(active, Unset):
            endpoint.active = active
        if resumed:
            endpoint.failures_in_a_row = 0
            endpoint.disabled_reason = ""
        endpoint.updated_at = timezone.now()
        endpoint.save()
        if resumed:
            transaction.on_commit(lambda: _resume(endpoint.pk))
    return endpoint


def _resume(endpoint_id: int) -> None:
    pending = WebhookDelivery.objects.filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING)
    kick_all(endpoint_id, pending.values_list("board_id", flat=True).distinct())


def webhook_delete(*, actor: AnyUser, endpoint_id: int) -> None:
    with transaction.atomic():
        endpoint_for_manager(actor, endpoint_id, lock=True).delete()


def webhook_rotate_secret(*, actor: AnyUser, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Issue a new secret; the old one keeps signing for ``WEBHOOK_SECRET_GRACE_SECONDS``."""
    with transaction.atomic():
        endpoint = endpoint_for_manager(actor, endpoint_id, lock=True)
        now = timezone.now()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(
            seconds=settings.WEBHOOK_SECRET_GRACE_SECONDS
        )
        endpoint.secret = new_secret()
        endpoint.updated_at = now
        endpoint.save()
    return endpoint, endpoint.secret


def delivery_redeliver(
    *, actor: AnyUser, delivery_id: int, endpoint_id: int | None = None
) -> WebhookDelivery:
    """Send one delivery again, with a fresh retry schedule and the same ``webhook-id``."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or endpoint_id not in (None, delivery.endpoint_id):
        raise NotFound(DELIVERY_NOT_FOUND)
    endpoint_for_manager(actor, delivery.endpoint_id)
    with transaction.atomic():
        _reopen(WebhookDelivery.objects.filter(pk=delivery_id))
        kick(delivery.endpoint_id, delivery.board_id)
    delivery.refresh_from_db()
    return delivery


def webhook_redeliver_since(*, actor: AnyUser, endpoint_id: int, board_id: int, since: int) -> int:
    """Send again every event of ``board_id`` after seq ``since`` that the endpoint wants.

    Events that never had a delivery (the endpoint was off, or did not exist yet) get
    one now. Returns how many deliveries are queued.
    """
    endpoint = endpoint_for_manager(actor, endpoint_id)
    if not Board.objects.filter(pk=board_id, workspace_id=endpoint.workspace_id).exists():
        raise NotFound("Board not found.")
    events = Event.objects.filter(board_id=board_id, seq__gt=since).only(
        "id", "seq", "event", "ts", "board_id", "data", "actor"
    )
    wanted = [event for event in events.order_by("seq") if wants(endpoint, event.event)]
    with transaction.atomic():
        existing = WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, event_id__in=[event.pk for event in wanted]
        )
        had = set(existing.values_list("event_id", flat=True))
        _reopen(existing)
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                board_id=board_id,
                event=event,
                payload=event_payload(event),
                seq=event.seq,
                event_name=event.event,
                message_id=new_message_id(),
            )
            for event in wanted
            if event.pk not in had
        )
        if wanted:
            kick(endpoint_id, board_id)
    return len(wanted)


def _reopen(deliveries: QuerySet[WebhookDelivery]) -> None:
    deliveries.update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None
    )


# The worker's step -------------------------------------------------------------------


def deliver_next(*, endpoint_id: int, board_id: int) -> None:
    """Send the head of one endpoint's queue for one board, and queue what comes next."""
    from collab.tasks import deliver_webhooks

    safety_at = timezone.now() + timedelta(seconds=SAFETY_FACTOR * settings.WEBHOOK_TIMEOUT_SECONDS)
    safety = deliver_webhooks.using(run_after=safety_at).enqueue(endpoint_id, board_id)
    try:
        with transaction.atomic():
            _attempt_head(endpoint_id, board_id)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        # Another worker is sending this queue's head; it queues what follows.
    _cancel(safety.id)


def _cancel(task_id: str) -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="READY").delete()


def _queue(endpoint_id: int, board_id: int) -> QuerySet[WebhookDelivery]:
    """Return one endpoint's pending deliveries for one board, head first."""
    pending = WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, board_id=board_id, state=DeliveryState.PENDING
    )
    return pending.order_by("seq", "id")


def _attempt_head(endpoint_id: int, board_id: int) -> None:
    head = _queue(endpoint_id, board_id).select_for_update(nowait=True).first()
    if head is None:
        return
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return  # Disabled: its queues wait until it is turned on again.
    now = timezone.now()
    if head.next_attempt_at > now:
        kick(endpoint_id, board_id, at=head.next_attempt_at)
        return
    outcome = _send(endpoint, head, now)
    WebhookAttempt.objects.create(
        delivery=head,
        started_at=now,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        response_excerpt=outcome.response_excerpt,
        error=outcome.error,
        succeeded=outcome.succeeded,
    )
    head.attempts += 1
    if outcome.succeeded:
        head.state = DeliveryState.DELIVERED
        head.finished_at = timezone.now()
        head.save()
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(failures_in_a_row=0)
        if _queue(endpoint_id, board_id).exists():
            kick(endpoint_id, board_id)
        return
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if head.attempts > len(schedule):
        head.state = DeliveryState.FAILED
        head.finished_at = timezone.now()
        kick(endpoint_id, board_id)
    else:
        head.next_attempt_at = timezone.now() + _jittered(schedule[head.attempts - 1])
        kick(endpoint_id, board_id, at=head.next_attempt_at)
    head.save()
    _count_failure(endpoint)


def _jittered(seconds: float) -> timedelta:
    spread = settings.WEBHOOK_RETRY_JITTER
    return timedelta(seconds=seconds * random.uniform(1 - spread, 1 + spread))  # noqa: S311


def _send(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> Outcome:
    # The event as it reads now (a comment hidden since is redacted), or as it was
    # recorded if it is gone (its board deleted, or pruned).
    events = Event.objects.select_related("actor")
    event = None if delivery.event_id is None else events.filter(pk=delivery.event_id).first()
    payload = event_payload(event) if event is not None else delivery.payload
    body = json.dumps(payload, separators=(",", ":"))
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(endpoint.previous_secret)
    headers = {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(secrets, delivery.message_id, now, body),
    }
    return post(endpoint.url, body, headers)


def _count_failure(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    endpoint.refresh_from_db(fields=["failures_in_a_row", "active"])
    limit = settings.WEBHOOK_DISABLE_AFTER
    if endpoint.active and endpoint.failures_in_a_row >= limit:
        reason = f"Disabled after {endpoint.failures_in_a_row} failed attempts in a row."
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            active=False, disabled_reason=reason, updated_at=timezone.now()
        )
        transaction.on_commit(lambda: _tell_managers(endpoint, reason))


def _tell_managers(endpoint: WebhookEndpoint, reason: str) -> None:
    managers = Membership.objects.filter(
        workspace_id=endpoint.workspace_id, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True
    ).exclude(user__email="")
    subject = f"Corkboard: webhook {endpoint.url} was disabled"
    text = (
        f"{reason}\n\nThe webhook {endpoint.url} of your workspace no longer receives events. "
        "Fix the receiver, then turn the webhook back on in the workspace's settings; "
        "events it missed can be redelivered from there."
    )
    send_mass_mail(
        [
            (subject, text, settings.DEFAULT_FROM_EMAIL, [email])
            for email in managers.values_list("user__email", flat=True)
        ],
        fail_silently=True,
    )
