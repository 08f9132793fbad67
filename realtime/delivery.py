"""One socket's subscriptions and their ordered slow path, beside the hub's fast path.

The hub (:mod:`realtime.hub`) writes a live event itself when the subscription is
``live`` and the event is next in seq. Everything else comes here, to one task per
subscription that works through ``backlog`` in order under the socket's delivery lock:
events held back or out of order (gap-filled from the database first), events that end
the subscription, the catch-up sweep's fills, and a slow socket's catch-up. While that
task runs the subscription is not ``live``, so the hub never writes past it: no event
is sent twice or out of order, and none is skipped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from collab.event_types import REGISTRY
from realtime import metrics, outage
from realtime.db import db_read
from realtime.replay import Replay, missed_between, replay_since
from realtime.wire import Writer

# How often a slow socket's send buffer is looked at until it drains.
_DRAIN_POLL_SECONDS = 0.05


@dataclass(eq=False, slots=True)
class Subscription:
    """A board one socket follows.

    ``last_seq``: the last seq sent. ``syncing``: the replay is being sent; live events
    wait in ``held``. ``live``: the hub may write the next event itself. ``backlog``:
    the slow path's work, in order (made on first use: an idle subscription holds no
    queue, and there are thousands of them). ``lag_to``: the newest seq a slow socket was not
    sent. ``behind``: the board's head at the last sweep when this was behind it.
    ``card``: the last card id checked to be on the board (presence).
    """

    socket: Any
    writer: Writer
    last_seq: int = 0
    syncing: bool = True
    live: bool = False
    held: list[dict[str, Any]] = field(default_factory=list)
    backlog: deque[tuple[str, Any]] | None = None
    task: asyncio.Task[None] | None = None
    lag_to: int | None = None
    presence: dict[str, Any] | None = None
    behind: int | None = None
    gone: bool = False
    card: int | None = None


class Delivery:
    """The slow path of a socket's subscriptions (mixed into the consumer)."""

    user: Any
    boards: dict[int, Subscription]
    writer: Writer
    hub: Any
    _delivery: asyncio.Lock

    if TYPE_CHECKING:  # provided by the consumer

        async def _announce(self, board_id: int, replay: Replay) -> None: ...

        async def _leave(self, board_id: int) -> None: ...

        async def _send(self, message: dict[str, Any]) -> None: ...

        async def _send_frame(self, frame: str, kind: str) -> bool: ...

    # Following a board: the replay guarantee.

    async def _follow(self, board_id: int, subscription: Subscription, since: int | None) -> bool:
        """Follow a board from ``since``: hub first, replay second, then what came live.

        Every later event either is in the replay or arrives live, held (never sent)
        until the replay, which checks access, has been sent; then the held events go
        out in seq order, without duplicates. Return whether the subscription is live.
        """
        self.boards[board_id] = subscription
        try:
            await self.hub.subscribe(board_id, subscription)
            replay: Replay = await db_read(replay_since)(self.user, board_id, since)
        except BaseException:
            if self.boards.get(board_id) is subscription:
                await self._leave(board_id)
            raise
        async with self._delivery:
            await self._announce(board_id, replay)
            if replay.resync:
                await self._resync(board_id, replay.seq)
                subscription.last_seq = replay.seq
            else:
                for frame in replay.frames:
                    await self._send_frame(frame, "replay")
                if since is not None:
                    metrics.REPLAYS.inc()
                    metrics.REPLAYED_EVENTS.inc(len(replay.frames))
                subscription.last_seq = replay.last_seq
            while subscription.held and self.boards.get(board_id) is subscription:
                held, subscription.held = subscription.held, []
                for message in sorted(held, key=lambda m: m["seq"]):
                    if self.boards.get(board_id) is not subscription:
                        break
                    await self._deliver(board_id, subscription, message)
            subscription.syncing = False
            subscription.live = self.boards.get(board_id) is subscription
        return subscription.live

    # What the hub hands over.

    def offer(self, board_id: int, subscription: Subscription, message: dict[str, Any]) -> None:
        """Take a live event the hub did not write: hold it, or queue it in order."""
        if subscription.syncing:
            subscription.held.append(message)
        elif subscription.lag_to is not None:
            subscription.lag_to = max(subscription.lag_to, message["seq"])
        else:
            self._queue(board_id, subscription, ("event", message))

    def fall_behind(self, board_id: int, subscription: Subscription, seq: int) -> None:
        """Take a slow socket's subscription out of live delivery until it has drained."""
        metrics.SLOW_SOCKETS.inc()
        subscription.lag_to = seq
        self._queue(board_id, subscription, ("slow", None))

    def _queue(self, board_id: int, subscription: Subscription, item: tuple[str, Any]) -> None:
        if subscription.backlog is None:
            subscription.backlog = deque()
        subscription.backlog.append(item)
        subscription.live = False
        if subscription.task is None:
            subscription.task = asyncio.ensure_future(self._work(board_id, subscription))

    async def _work(self, board_id: int, subscription: Subscription) -> None:
        try:
            async with self._delivery:
                while subscription.backlog and self.boards.get(board_id) is subscription:
                    kind, value = subscription.backlog.popleft()
                    if kind == "event":
                        await self._deliver(board_id, subscription, value)
                    elif kind == "fill":
                        if subscription.last_seq < value:
                            await self._fill(board_id, subscription, value + 1)
                    elif kind == "gone":
                        await self._gone(board_id)
                    else:
                        await self._catch_up_slow(board_id, subscription)
        finally:
            subscription.task = None
            self._resume(board_id, subscription)

    def _resume(self, board_id: int, subscription: Subscription) -> None:
        """Let the hub write again if nothing is pending for the subscription."""
        if subscription.backlog and self.boards.get(board_id) is subscription:
            subscription.task = asyncio.ensure_future(self._work(board_id, subscription))
            return
        subscription.live = (
            self.boards.get(board_id) is subscription
            and not subscription.syncing
            and subscription.lag_to is None
            and subscription.task is None
        )

    async def _catch_up_slow(self, board_id: int, subscription: Subscription) -> None:
        """Wait for the send buffer to drain, then send what was skipped, from the table."""
        low_water = settings.WS_SEND_BUFFER_BYTES // 4
        while self.writer.buffered() > low_water:
            if self.boards.get(board_id) is not subscription:
                return
            await asyncio.sleep(_DRAIN_POLL_SECONDS)
        while subscription.lag_to is not None and self.boards.get(board_id) is subscription:
            target = subscription.lag_to
            if target - subscription.last_seq > settings.EVENT_REPLAY_LIMIT:
                await self._resync(board_id, target)
                subscription.last_seq = target
            elif subscription.last_seq < target:
                before = subscription.last_seq
                if not await self._fill(board_id, subscription, target + 1):
                    return
                if subscription.last_seq == before:
                    break  # the database is unreachable: the sweep tries again
            if subscription.lag_to == target:
                subscription.lag_to = None

    async def _gone(self, board_id: int) -> None:
        await self._leave(board_id)
        await self._send(
            {
                "type": "error",
                "code": "not_found",
                "board": board_id,
                "message": "This board no longer exists.",
            }
        )

    # The catch-up sweep (realtime.sweep).

    def subscribed_boards(self) -> list[int]:
        return [board for board, subscription in self.boards.items() if not subscription.syncing]

    def lagging(self, heads: dict[int, int]) -> tuple[list[tuple[int, int]], bool]:
        """Return the boards to gap-fill (behind the head now and at the previous sweep),
        and whether every subscription is settled: at its head, not replaying."""
        lagging = []
        settled = True
        for board_id, subscription in self.boards.items():
            if subscription.syncing:
                settled = False
                continue
            head = heads.get(board_id)
            if head is None:  # deleted, and its board.deleted publish was lost
                if subscription.gone:
                    lagging.append((board_id, -1))
                subscription.gone = True
                settled = False
                continue
            mark = subscription.behind
            subscription.behind = head if subscription.last_seq < head else None
            settled = settled and subscription.behind is None
            if mark is not None and subscription.last_seq < mark:
                lagging.append((board_id, head))
        return lagging, settled

    async def catch_up(self, board_id: int, head: int) -> None:
        """Queue a fill of the events up to ``head`` the subscription never got live."""
        subscription = self.boards.get(board_id)
        if subscription is None or subscription.syncing:
            return
        self._queue(board_id, subscription, ("gone", None) if head < 0 else ("fill", head))

    # Sending events in order.

    async def _deliver(
        self, board_id: int, subscription: Subscription, message: dict[str, Any]
    ) -> None:
        """Send a live event, gap-filling first if seqs were skipped. Hold ``_delivery``."""
        seq = message["seq"]
        if seq <= subscription.last_seq:
            return  # already sent by the replay, a gap fill or the sweep
        if seq > subscription.last_seq + 1 and not await self._fill(board_id, subscription, seq):
            return
        await self._emit(
            board_id,
            subscription,
            seq,
            message["event"],
            message.get("data_id"),
            message["frame"],
            live=True,
        )

    async def _fill(self, board_id: int, subscription: Subscription, before: int) -> bool:
        """Send the stored events from ``last_seq`` up to ``before``; False if it ended."""
        metrics.GAP_FILLS.inc()
        try:
            missed = await db_read(missed_between)(board_id, subscription.last_seq, before)
        except Exception as error:
            outage.report("a gap fill", error)
            return True
        if missed and missed[0].seq != subscription.last_seq + 1:
            # Pruned from history meanwhile: the client must reload the board.
            await self._resync(board_id, before - 1)
            subscription.last_seq = before - 1
            return True
        for event in missed:
            if not await self._emit(
                board_id, subscription, event.seq, event.event, event.data_id, event.frame
            ):
                return False
        return True

    async def _emit(
        self,
        board_id: int,
        subscription: Subscription,
        seq: int,
        event: str,
        data_id: object,
        frame: str,
        *,
        live: bool = False,
    ) -> bool:
        """Send one event's frame and apply what it does to the subscription.

        Return False when the event ended the subscription.
        """
        await self._send_frame(frame, "event" if live else "gap_fill")
        subscription.last_seq = seq
        kind = REGISTRY.get(event)
        if kind is None or not kind.ends_subscription:
            return True
        if kind.ends_for_user_in_data and data_id != self.user.pk:
            return True
        await self._leave(board_id)
        if kind.ends_for_user_in_data:
            await self._send(
                {
                    "type": "error",
                    "code": "forbidden",
                    "board": board_id,
                    "message": "You are no longer a member of this board's workspace.",
                }
            )
        return False

    async def _resync(self, board_id: int, head: int) -> None:
        """Tell the client to reload the board: the events it missed are gone.

        ``head`` is the seq it continues from (the socket's client reads it from the
        snapshot it reloads).
        """
        metrics.RESYNCS.inc()
        await self._send({"type": "resync", "board": board_id})
