"""This process's sockets, and the catch-up sweep that does not trust the pipe.

A publish can fail (Redis restarting, a stopped loop, a full channel) and nothing
would tell a quiet socket that it missed an event. So every ``REALTIME_SWEEP_SECONDS``
one task per process reads, in ONE query, the head seq of every board that has local
subscribers, and asks each subscription that is behind the head, and was already behind
at the previous sweep (so live delivery in flight is not raced), to gap-fill from the
Event table (queued on the socket's ordered slow path, :mod:`realtime.delivery`). It
also retries the hub's group joins that failed while Redis was down, and writes
this process's heartbeat (:mod:`realtime.heartbeat`) every few seconds. The registry
holds at most ``WS_MAX_SOCKETS`` sockets; the graceful stop (:mod:`realtime.shutdown`)
walks it to close every socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import weakref
from typing import Any, Protocol

from django.conf import settings

from realtime import heartbeat, hub, metrics, outage
from realtime.db import db_read
from realtime.replay import board_heads


class Follower(Protocol):
    """What the sweep needs of a consumer."""

    def lagging(self, heads: dict[int, int]) -> tuple[list[tuple[int, int]], bool]: ...

    async def catch_up(self, board_id: int, head: int) -> None: ...

    def subscribed_boards(self) -> list[int]: ...


class _Local:
    """The sockets of one event loop (one per Daphne process) and their sweep task."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None
        self.beat_at = -math.inf  # time.monotonic() of the last heartbeat
        # The heads the last walk saw, and whether every subscription was at its head then.
        self.heads: dict[int, int] | None = None
        self.settled = False


_locals: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Local] = weakref.WeakKeyDictionary()


def _local() -> _Local:
    loop = asyncio.get_running_loop()
    local = _locals.get(loop)
    if local is None:
        local = _locals[loop] = _Local()
    return local


def register(socket: Follower) -> bool:
    """Add a socket unless this process holds ``WS_MAX_SOCKETS``; return whether it did.

    Starts this process's sweep if it is not running.
    """
    local = _local()
    if len(local.sockets) >= settings.WS_MAX_SOCKETS:
        return False
    local.sockets.add(socket)
    metrics.SOCKETS.inc()
    if local.task is None or local.task.done():
        local.task = asyncio.ensure_future(_run(local))
    return True


def unregister(socket: Follower) -> None:
    """Forget a closed socket (the sweep stops by itself when none is left)."""
    local = _local()
    if socket in local.sockets:
        local.sockets.discard(socket)
        metrics.SOCKETS.dec()


def sockets() -> list[Any]:
    """Return this process's open sockets."""
    return list(_local().sockets)


async def _run(local: _Local) -> None:
    while local.sockets:
        await asyncio.sleep(settings.REALTIME_SWEEP_SECONDS)
        try:
            await sweep(list(local.sockets), local)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            outage.report("the catch-up sweep", error)
        if time.monotonic() - local.beat_at >= heartbeat.interval():
            await _beat(local)


async def _beat(local: _Local) -> None:
    """Write this process's heartbeat from a thread: the cache client blocks."""
    local.beat_at = time.monotonic()
    try:
        await asyncio.to_thread(heartbeat.write_heartbeat)
    except Exception as error:  # the cache is down: the sweep goes on regardless
        outage.report("the process heartbeat", error)


async def sweep(followers: list[Follower], local: _Local | None = None) -> None:
    """Run one sweep over the given sockets: rejoin the hub's groups, gap-fill the lagging.

    Per socket it is a few plain calls: an idle socket costs no task and no query. The
    sockets are not walked at all when no head moved since a walk that found every
    subscription at its head (an idle process, most of the time): nothing can have been
    missed since. ``local`` keeps that state between sweeps.
    """
    local_hub = hub.current()
    if local_hub is not None:
        await local_hub.rejoin()
        boards = sorted(local_hub.boards)
    else:
        boards = sorted({b for follower in followers for b in follower.subscribed_boards()})
    if not boards:
        return
    try:
        heads = await db_read(board_heads)(boards)
    except Exception as error:
        outage.report("reading board heads", error)
        return
    if local is not None and local.settled and heads == local.heads:
        return
    settled = True
    for follower in followers:
        lagging, at_head = follower.lagging(heads)
        settled = settled and at_head
        for board_id, head in lagging:
            with contextlib.suppress(Exception):
                await follower.catch_up(board_id, head)
    if local is not None:
        local.heads, local.settled = heads, settled
