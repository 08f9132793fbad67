"""Record a board's events and publish them after commit: the one outbox.

Every service that changes a board calls :func:`lock_board` first and
:func:`record_event` for each change, inside one ``transaction.atomic()``. The board
row lock makes ``seq`` gap-free and totally ordered per board, and nothing is published
for a transaction that rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from accounts.models import User
from collab.deliveries import queue_deliveries, with_webhook_flag
from collab.event_types import COMMENT_BODY_EVENTS, EventType
from collab.exceptions import NotFound
from collab.models import Board, Comment, Event
from collab.notify import notify_for_event
from collab.permissions import AnyUser
from collab.representations import EventSerializer, represent
from realtime.publish import publish_board_event

Payload = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def lock_board(board_id: int) -> Board:
    """Return the board row locked until the end of the transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_board must be called inside transaction.atomic()")
    board = with_webhook_flag(Board.objects.select_for_update().filter(pk=board_id)).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def event_frame(event: Event) -> str:
    """Return the socket frame for an event: the REST event shape plus its type, as JSON."""
    message = {"type": "event", **represent(EventSerializer, event)}
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def record_event(*, board: Board, event: EventType, data: Payload, actor: AnyUser | None) -> Event:
    """Assign the board's next seq to a new event and publish it once committed.

    Call inside the transaction that holds :func:`lock_board`'s lock. ``event`` is one of
    :mod:`collab.event_types`. ``data`` may be a callable, evaluated after the seq is
    assigned, so that a board's own payload shows its new seq.
    """
    if not isinstance(event, EventType):
        raise TypeError(f"record_event takes a collab.event_types constant, not {event!r}")
    board.seq += 1
    Board.objects.filter(pk=board.pk).update(seq=board.seq)
    payload = dict(data() if callable(data) else data)
    row = Event.objects.create(
        board=board,
        seq=board.seq,
        event=event.name,
        data=payload,
        actor=actor if isinstance(actor, User) else None,
    )
    queue_deliveries(board, row)
    notify_for_event(board, row, actor)
    transaction.on_commit(
        partial(
            publish_board_event, board.pk, row.seq, event.name, event_frame(row), payload.get("id")
        )
    )
    return row


def redact_comment_history(comment: Comment, *, body: str) -> int:
    """Replace a comment's body with ``body`` in every stored event that carried it.

    A hidden or deleted comment must not stay readable through the board's history (the
    events API, socket replay, gap fill, the activity panel), which all read these rows.
    Returns how many events were redacted. Call under the board lock, in the transaction
    that hides or deletes the comment, so that no reader sees the body after it commits.
    """
    events = Event.objects.filter(
        board_id=comment.card.board_id,
        event__in=[event.name for event in COMMENT_BODY_EVENTS],
        data__id=comment.pk,
    )
    redacted = []
    for row in events:
        if row.data.get("body") != body or row.data.get("hidden") != comment.hidden:
            row.data = {**row.data, "body": body, "hidden": comment.hidden}
            redacted.append(row)
    Event.objects.bulk_update(redacted, ["data"])
    return len(redacted)
