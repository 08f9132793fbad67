"""Send committed domain events and account changes to the channel layer.

Publishing runs on one publisher thread per process with its own event loop, never on
the caller's thread or on the server's loop: a request thread hands the message over
and waits at most ``REALTIME_PUBLISH_WAIT_SECONDS``, so a stopped server loop or a
hanging Redis can never hold a request (or a process exit) forever. A publish that
fails or times out is logged once; subscribers get the event from the Event table
(gap fill, replay, the catch-up sweep of :mod:`realtime.sweep`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from realtime import metrics
from realtime.groups import board_group, doc_group, session_group, token_group, user_group

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """Return the publisher thread's loop, starting the (daemon) thread on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="realtime-publisher", daemon=True
            )
            thread.start()
            _loop = loop
        return _loop


def _run(coroutine: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop) -> None:
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    future.result(timeout=settings.REALTIME_PUBLISH_WAIT_SECONDS)


def _group_send(group: str, message: dict[str, object]) -> bool:
    """Hand a message to the channel layer; return whether it was published."""
    layer = get_channel_layer()
    if layer is None:
        return False
    # The group travels with the message: each process's hub (realtime.hub) receives
    # every group on one channel and hands the message to that group's sockets.
    message = {**message, "group": group}
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # Its queues belong to the server's loop: publish there (single-process
            # setups without Redis), still with a bound on the wait.
            from asgiref.sync import SyncToAsync

            loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
            if loop is None or not loop.is_running():
                return False
            _run(layer.group_send(group, message), loop)
        else:
            _run(layer.group_send(group, message), _publisher_loop())
    except (TimeoutError, concurrent.futures.TimeoutError):
        logger.warning("publishing to %s timed out; subscribers catch up from the events", group)
    except Exception as error:
        # The pipe is best effort: the Event row is committed, and clients recover
        # missed events by seq (replay, gap fill, sweep). Never fail the caller's write.
        logger.warning("publishing to %s failed: %s", group, error.__class__.__name__)
    else:
        return True
    metrics.PUBLISH_ERRORS.inc()
    return False


def publish_board_event(
    board_id: int, seq: int, event: str, frame: str, data_id: object = None
) -> None:
    """Broadcast an event's ready-made JSON frame to the board's subscribers.

    ``data_id`` is ``data["id"]``: for the event types that end one user's subscription
    (``collab.event_types``, ``ends_for_user_in_data``) the consumer needs it without
    parsing the frame. ``published_at`` (wall-clock seconds) lets each consumer measure
    the publish-to-send latency; it stays in the layer message, never in the frame.
    """
    message: dict[str, object] = {
        "type": "board.event",
        "board": board_id,
        "seq": seq,
        "event": event,
        "frame": frame,
        "data_id": data_id if isinstance(data_id, int) else None,
        "published_at": time.time(),
    }
    if _group_send(board_group(board_id), message):
        metrics.EVENTS_PUBLISHED.inc()


def disconnect_user(user_id: int) -> None:
    """Close every socket the user has open, in every process."""
    _group_send(user_group(user_id), {"type": "user.disconnect"})


def publish_notification(user_id: int, frame: str) -> None:
    """Send a new notification's ready-made JSON frame to the user's sockets, everywhere."""
    _group_send(user_group(user_id), {"type": "user.notification", "frame": frame})


def session_digest(session_key: str) -> str:
    """Return the digest that stands for a session key in group names and tickets."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def disconnect_session(session_key: str) -> None:
    """Close every socket opened through a (now ended) browser session, in every process."""
    _group_send(session_group(session_digest(session_key)), {"type": "credential.ended"})


def disconnect_token(token_id: int) -> None:
    """Close every socket opened with a (now revoked) token's tickets, in every process."""
    _group_send(token_group(token_id), {"type": "credential.ended"})


def publish_doc_update(card_id: int, generation: str, seq: int, update: bytes) -> None:
    """Send a stored update of a card's document to every process that has it open."""
    message = {"type": "doc.update", "card": card_id, "generation": generation, "seq": seq}
    _group_send(doc_group(card_id), {**message, "update": update})


def publish_doc_reset(card_id: int, generation: str) -> None:
    """Tell every process that a card's document starts a new generation (a reset)."""
    _group_send(
        doc_group(card_id), {"type": "doc.reset", "card": card_id, "generation": generation}
    )
