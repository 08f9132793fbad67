"""Queue webhook deliveries for a recorded event, in the transaction that records it.

:func:`collab.events.record_event` calls :func:`queue_deliveries`: a delivery row per
matching active endpoint, and a task to send it, both written in the event's own
transaction, so that a rolled-back change sends nothing and a committed one is never
forgotten (the task table is the outbox's queue; ``manage.py db_worker`` runs it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, OuterRef, QuerySet

from collab.models import Board, Event, WebhookDelivery, WebhookEndpoint
from collab.representations import EventSerializer, represent

ALL_EVENTS = "*"


def wants(endpoint: WebhookEndpoint, event_name: str) -> bool:
    """Return whether ``endpoint`` subscribes to ``event_name``."""
    return ALL_EVENTS in endpoint.event_types or event_name in endpoint.event_types


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_payload(row: Event) -> dict[str, Any]:
    """Return the event as a webhook sends it: the events API's JSON shape."""
    encoded = json.dumps(represent(EventSerializer, row), cls=DjangoJSONEncoder)
    return dict(json.loads(encoded))


def kick(endpoint_id: int, board_id: int, *, at: datetime | None = None) -> None:
    """Ask the worker to send the next due delivery of one endpoint and board (at ``at``)."""
    from collab.tasks import deliver_webhooks

    task = deliver_webhooks if at is None else deliver_webhooks.using(run_after=at)
    task.enqueue(endpoint_id, board_id)


def kick_all(endpoint_id: int, board_ids: Iterable[int]) -> None:
    for board_id in sorted(set(board_ids)):
        kick(endpoint_id, board_id)


def with_webhook_flag(boards: QuerySet[Board]) -> QuerySet[Board]:
    """Annotate each board with ``has_webhooks``, read in the query that locks it.

    So that a change on a board of a workspace without webhooks (most) costs no query
    here; :func:`queue_deliveries` reads the flag.
    """
    active = WebhookEndpoint.objects.filter(workspace_id=OuterRef("workspace_id"), active=True)
    return boards.annotate(has_webhooks=Exists(active))


def queue_deliveries(board: Board, row: Event) -> None:
    """Create a pending delivery of ``row`` for every active endpoint that wants it."""
    if getattr(board, "has_webhooks", True) is False:
        return
    endpoints = WebhookEndpoint.objects.filter(workspace_id=board.workspace_id, active=True)
    matching = [
        endpoint for endpoint in endpoints.only("id", "event_types") if wants(endpoint, row.event)
    ]
    if not matching:
        return
    payload = event_payload(row)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            board_id=board.pk,
            event=row,
            payload=payload,
            seq=row.seq,
            event_name=row.event,
            message_id=new_message_id(),
            next_attempt_at=row.ts,
        )
        for endpoint in matching
    )
    for endpoint in matching:
        kick(endpoint.pk, board.pk)
