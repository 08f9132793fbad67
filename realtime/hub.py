"""The per-process hub: one channel-layer subscription per group, one frame per event.

Sockets hold no channel of their own. Each process (each event loop) has one hub with
one layer channel, joined to every group a local socket needs: the board groups of its
subscriptions and the user, session and token groups that can close it. A board event
arrives once per process; its frame, encoded once at commit, is turned into wire bytes
once (:class:`realtime.wire.Frame`) and written to every local subscription that is
live and next in seq, in a plain loop: no per-socket queue, dispatch or JSON work.

Anything else goes to the socket's own ordered slow path
(:meth:`realtime.consumers.BoardConsumer.offer`): a subscription still replaying holds
the event; a seq jump is gap-filled from the database; an event that ends the
subscription; a socket whose send buffer is over ``WS_SEND_BUFFER_BYTES`` is taken out
of live delivery and caught up from the Event table once it drains, so a slow socket
neither stalls the others nor silently misses an event.

Presence rides the same hub: a change is broadcast to the board group and written to
local sockets as they are; one timer per process refreshes the entries of the sockets
that announced presence (one Redis pipeline per board) and re-reads each board's
presence once per beat, writing a frame only when it changed (expiry of another
process's ghost). Idle sockets cost nothing.

Joins and leaves of a group are serialised per group and reconciled with what local
sockets want; a join that fails (Redis down) is retried by the catch-up sweep
(:func:`rejoin`), and the sweep gap-fills what was missed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from collab.event_types import REGISTRY
from realtime import metrics, outage, presence
from realtime.groups import board_group
from realtime.wire import Frame

if TYPE_CHECKING:
    from realtime.consumers import Subscription

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 7.0


class Controlled(Protocol):
    """A connection a control group can end: a socket or an event stream."""

    def control(self, kind: str) -> None: ...

    def notification(self, frame: str) -> None: ...


class Hub:
    """This process's group memberships and the local sockets behind each."""

    def __init__(self, layer: Any, channel: str) -> None:
        self.layer = layer
        self.channel = channel
        self.boards: dict[int, set[Subscription]] = {}
        self.groups: dict[str, set[Controlled]] = {}
        self.presence_frames: dict[int, str] = {}
        self._presence_reads: dict[int, asyncio.Future[str]] = {}
        self.joined: set[str] = set()
        # Failed joins, with what says whether the group is still wanted.
        self.unjoined: dict[str, Callable[[], bool]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Future[None]] = set()
        self.receiver = asyncio.ensure_future(self._receive())
        self.beat = asyncio.ensure_future(self._presence_beat())

    # Membership.

    async def subscribe(self, board_id: int, subscription: Subscription) -> None:
        """Add a subscription; return once this process is in the board's group."""
        self.boards.setdefault(board_id, set()).add(subscription)
        await self._reconcile(board_group(board_id), lambda: board_id in self.boards)

    def unsubscribe(self, board_id: int, subscription: Subscription) -> None:
        """Remove a subscription; the group is left in the background once unused."""
        subscriptions = self.boards.get(board_id)
        if subscriptions is None:
            return
        subscriptions.discard(subscription)
        if not subscriptions:
            del self.boards[board_id]
            self.presence_frames.pop(board_id, None)
            self._background(
                self._reconcile(board_group(board_id), lambda: board_id in self.boards)
            )

    async def join(self, group: str, socket: Controlled) -> None:
        self.groups.setdefault(group, set()).add(socket)
        await self._reconcile(group, lambda: group in self.groups)

    def leave(self, group: str, socket: Controlled) -> None:
        members = self.groups.get(group)
        if members is None:
            return
        members.discard(socket)
        if not members:
            del self.groups[group]
            self._background(self._reconcile(group, lambda: group in self.groups))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reconcile(self, group: str, wanted: Callable[[], bool]) -> None:
        """Make this process's membership of ``group`` match what its sockets want."""
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = asyncio.Lock()
        async with lock:
            if wanted() and group not in self.joined:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception as error:
                    # Live delivery degrades; the sweep retries and gap-fills.
                    outage.report("joining a channel-layer group", error)
                    self.unjoined[group] = wanted
                else:
                    self.joined.add(group)
                    self.unjoined.pop(group, None)
            elif not wanted():
                self.unjoined.pop(group, None)
                if group in self.joined:
                    self.joined.discard(group)
                    try:
                        await self.layer.group_discard(group, self.channel)
                    except Exception as error:
                        outage.report("leaving a channel-layer group", error)

    async def rejoin(self) -> None:
        """Retry the joins that failed (called by the catch-up sweep)."""
        for group, wanted in list(self.unjoined.items()):
            await self._reconcile(group, wanted)

    # Layer messages.

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                outage.report("the hub's channel", error)
                await asyncio.sleep(0.5)
                continue
            try:
                self.dispatch(message)
            except Exception:
                logger.exception("the hub could not handle a %r message", message.get("type"))

    def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "board.event":
            self.board_event(message)
        elif kind == "presence.changed":
            self.presence_changed(message["board"], message["frame"])
        elif kind in ("user.disconnect", "credential.ended"):
            for socket in list(self.groups.get(message.get("group", ""), ())):
                socket.control(kind)
        elif kind in ("doc.update", "doc.reset", "doc.awareness"):
            # Rooms (realtime.docs) are the only members of a card document's group.
            for room in list(self.groups.get(message.get("group", ""), ())):
                room.doc_message(message)  # type: ignore[attr-defined]
        elif kind == "user.notification":
            for socket in list(self.groups.get(message.get("group", ""), ())):
                socket.notification(message["frame"])

    def board_event(self, message: dict[str, Any]) -> None:
        """Write one event to every local subscription of its board."""
        subscriptions = self.boards.get(message["board"])
        if not subscriptions:
            return
        seq = message["seq"]
        kind = REGISTRY.get(message["event"])
        # An event that ends subscriptions takes every socket's ordered slow path.
        ordinary = kind is None or not kind.ends_subscription
        frame = Frame(message["frame"])
        bound = settings.WS_SEND_BUFFER_BYTES
        sent = 0
        for subscription in list(subscriptions):
            if ordinary and subscription.live and seq == subscription.last_seq + 1:
                writer = subscription.writer
                if writer.buffered() > bound:
                    subscription.socket.fall_behind(message["board"], subscription, seq)
                elif writer.write(frame):
                    subscription.last_seq = seq
                    sent += 1
            elif seq > subscription.last_seq or not subscription.live:
                subscription.socket.offer(message["board"], subscription, message)
        if sent:
            metrics.frame_sent("event", sent)
            published_at = message.get("published_at")
            if published_at is not None:
                metrics.PUBLISH_TO_SEND.observe(max(0.0, time.time() - published_at))

    def presence_changed(self, board_id: int, text: str) -> None:
        """Write a board's presence frame to its local subscriptions that are live."""
        self.presence_frames[board_id] = text
        frame = Frame(text)
        bound = settings.WS_SEND_BUFFER_BYTES
        sent = 0
        for subscription in list(self.boards.get(board_id, ())):
            if subscription.syncing or subscription.writer.buffered() > bound:
                continue  # sent the current presence when it is live again
            if subscription.writer.write(frame):
                sent += 1
        if sent:
            metrics.frame_sent("presence", sent)

    # Presence.

    async def presence_frame(self, board_id: int, *, fresh: bool = False) -> str:
        """Return the board's presence frame: the last one seen, or read from the store.

        Sockets that subscribe while the first read is under way wait for that read
        (one read per board, not one per socket, in a reconnect storm); ``fresh`` always
        reads.
        """
        if fresh:
            return await self._read_presence(board_id)
        text = self.presence_frames.get(board_id)
        if text is not None:
            return text
        pending = self._presence_reads.get(board_id)
        if pending is None:
            pending = asyncio.ensure_future(self._read_presence(board_id))
            self._presence_reads[board_id] = pending
            pending.add_done_callback(lambda _: self._presence_reads.pop(board_id, None))
        return await asyncio.shield(pending)

    async def _read_presence(self, board_id: int) -> str:
        members = presence.members(await presence.store().entries(board_id))
        text = json.dumps({"type": "presence", "board": board_id, "members": members})
        if board_id in self.boards:
            self.presence_frames[board_id] = text
        return text

    async def broadcast_presence(self, board_id: int) -> None:
        """Tell every process's sockets on the board who is there now."""
        text = await self.presence_frame(board_id, fresh=True)
        message = {"type": "presence.changed", "board": board_id, "frame": text}
        try:
            await self.layer.group_send(board_group(board_id), message)
        except Exception as error:
            # Other processes learn it at their next beat; this one learns it now.
            outage.report("broadcasting presence", error)
            self.presence_changed(board_id, text)

    async def _presence_beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.refresh_presence()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                outage.report("the presence heartbeat", error)

    async def refresh_presence(self) -> None:
        """Keep local presence entries alive; send a board's presence when it changed."""
        store = presence.store()
        for board_id, subscriptions in list(self.boards.items()):
            entries = {
                subscription.socket.presence_id: subscription.presence
                for subscription in subscriptions
                if subscription.presence is not None
            }
            if entries:
                await store.put_many(board_id, entries)
            previous = self.presence_frames.get(board_id)
            text = await self.presence_frame(board_id, fresh=True)
            if text != previous and board_id in self.boards:
                self.presence_changed(board_id, text)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()
_starting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def get() -> Hub:
    """Return this event loop's hub, creating it (and its layer channel) on first use."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    hub = _hubs.get(loop)
    if hub is not None and hub.layer is layer:
        return hub
    lock = _starting.get(loop)
    if lock is None:
        lock = _starting[loop] = asyncio.Lock()
    async with lock:
        hub = _hubs.get(loop)
        if hub is None or hub.layer is not layer:
            hub = _hubs[loop] = Hub(layer, await layer.new_channel())
        return hub


def current() -> Hub | None:
    """Return this event loop's hub if it has one."""
    return _hubs.get(asyncio.get_running_loop())
