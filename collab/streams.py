"""The integration stream's wire format: a board's events as server-sent events.

One block per event, ``id: <seq>``, ``event: <name>``, ``data: <the event as the REST
events API shows it, one line>``; a resync as ``event: resync`` with the seq to go on
from; comments as heartbeats. Shared by the Channels consumer (``realtime.stream``)
and its WSGI twin (``api``), so both speak it byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collab.exceptions import ValidationFailed

HEADERS: dict[str, str] = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # nginx: pass each block on at once
}
RETRY = b"retry: 3000\n\n"  # how long EventSource waits before it reconnects (ms)
PING = b": ping\n\n"
_SINCE_MESSAGE = "A non-negative integer is required."


def block(event: str, data: Mapping[str, Any], *, seq: int | None = None) -> bytes:
    """Return one SSE block; ``seq`` becomes its ``id`` (the client's Last-Event-ID)."""
    head = f"id: {seq}\n" if seq is not None else ""
    # json.dumps escapes every line break: the data is always one line.
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def event_block(frame: str) -> bytes | None:
    """Return the SSE block of a socket frame if it is an event (presence is not sent)."""
    message = json.loads(frame)
    if message.pop("type", None) != "event":
        return None
    return block(message["event"], message, seq=message["seq"])


def resync_block(board_id: int, head: int) -> bytes:
    """Return the block that says the missed events are gone: go on from ``head``."""
    return block("resync", {"board": board_id, "head": head}, seq=head)


def error_block(code: str, message: str) -> bytes:
    """Return the last block of a stream that the server ends (the REST error shape)."""
    return block("error", {"error": code, "message": message})


def parse_since(last_event_id: str | None, since: str | None) -> int | None:
    """Return where to resume: ``Last-Event-ID`` if sent, else ``?since=``, else None.

    Raise :class:`ValidationFailed` (400) unless it is a non-negative integer.
    """
    # An empty Last-Event-ID is no event id (EventSource sends none before the first).
    header = last_event_id is not None and last_event_id.strip() != ""
    name, value = ("Last-Event-ID", last_event_id) if header else ("since", since)
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        raise ValidationFailed(f"{name}: {_SINCE_MESSAGE}", detail={name: [_SINCE_MESSAGE]})
    return int(value)
