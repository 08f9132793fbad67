"""The ``/ws/`` consumer: board subscriptions with replay, live events, presence.

One socket per browser tab carries any number of boards. Subscribing joins the board's
group first, then replays the missed events from the Event table, then flushes the live
events that arrived meanwhile, so none falls between replay and live and none comes
twice. A seq jump in live delivery is filled from the database: the channel layer is a
pipe that may drop, PostgreSQL is the truth: a socket that missed an event and hears
nothing more is gap-filled by this process's catch-up sweep (:mod:`realtime.sweep`).

What an event does to a subscription (``board.deleted`` ends it; ``member.removed`` ends
the removed user's) comes from :mod:`collab.event_types`. A Redis error degrades presence
and live delivery (recovered by the sweep and seq) and never closes the socket.

Close codes: 4401 unauthenticated, 4403 suspended, 4410 the session logged out or the
token was revoked, 1012 the server is restarting (reconnect), 1013 this process holds
``WS_MAX_SOCKETS`` sockets (try again later). Each socket is counted and logged once
when it connects and once when it closes (:mod:`realtime.metrics`,
:mod:`realtime.socket_log`).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from collab.event_types import REGISTRY
from collab.exceptions import BadRequest, CorkboardError, RateLimited
from realtime import metrics, outage, presence, sweep
from realtime.auth import credential_alive
from realtime.groups import board_group, session_group, token_group, user_group
from realtime.protocol import ClientMessage, Ping, Presence, Subscribe, Unsubscribe, parse
from realtime.publish import session_digest
from realtime.replay import Replay, card_on_board, check_access, missed_between, replay_since
from realtime.shutdown import CLOSE_TRY_AGAIN_LATER
from realtime.socket_log import SocketLog
from realtime.throttle import TokenBucket

# Layer messages whose handlers touch no ORM: skip Channels' per-message
# close_old_connections thread hop, the largest cost of fan-out (DESIGN, pitfalls).
_NO_ORM_HANDLERS = frozenset(
    {"board.event", "presence.changed", "user.disconnect", "credential.ended"}
)
# Socket error codes of the contract; other domain errors are reported as bad_request.
_SOCKET_CODES = {"forbidden", "not_found", "bad_request", "rate_limited"}
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SUSPENDED = 4403
CLOSE_CREDENTIAL_ENDED = 4410
CLOSE_INTERNAL_ERROR = 1011
# What a close without a code is counted as (RFC 6455: "no status received").
CLOSE_NO_STATUS = 1005
HEARTBEAT_SECONDS = 7.0


@dataclass
class Subscription:
    """A board this socket follows: the last seq sent, and live events held while syncing.

    ``behind``: the board's head at the last sweep, when this subscription was behind it.
    ``card``: the last card id checked to be on the board (presence).
    """

    last_seq: int = 0
    syncing: bool = True
    held: list[dict[str, Any]] = field(default_factory=list)
    presence: dict[str, Any] | None = None
    behind: int | None = None
    gone: bool = False
    card: int | None = None


class BoardConsumer(AsyncWebsocketConsumer):
    """Serve one browser tab or API client: subscriptions, events, presence, ping."""

    user: Any
    boards: dict[int, Subscription]
    bucket: TokenBucket
    log: SocketLog
    heartbeat: asyncio.Task[None] | None = None
    _close_code: int | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            if message["type"] in _NO_ORM_HANDLERS:
                await getattr(self, get_handler_name(message))(message)
            else:
                await super().dispatch(message)
        except StopConsumer:
            raise
        except BaseException:
            # The consumer dies (Daphne closes the socket with 1011) and no disconnect
            # will follow: count its end and release what it holds now.
            self._ended(CLOSE_INTERNAL_ERROR)
            await self._release()
            raise

    # Connection lifecycle.

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.boards = {}
        self._last_presence: dict[int, str] = {}
        self._control: list[str] = []
        self._unjoined: set[str] = set()
        # One delivery at a time per socket: live events, gap fills and the sweep.
        self._delivery = asyncio.Lock()
        self.log = SocketLog.for_socket(self.scope, self.user)
        metrics.CONNECTS.inc()
        self.log.connect()
        if self.user is None or not self.user.is_authenticated or not self.user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Before any Redis or database work: a full process refuses cheaply.
        if not sweep.register(self):
            # Accepted first: a close before the accept is a bare HTTP 403, without a code.
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        if not await self._join_control_groups():
            sweep.unregister(self)
            await self.close(code=CLOSE_CREDENTIAL_ENDED)
            return
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST)
        await self.accept()
        self.heartbeat = asyncio.ensure_future(self._heartbeat())

    async def _join_control_groups(self) -> bool:
        """Join the groups that can close this socket; False if its credential has ended."""
        self._control = self._control_groups()
        for group in self._control:
            await self._join(group)
        if await database_sync_to_async(credential_alive)(self.scope):
            return True
        for group in self._control:
            await self._discard(group)
        self._control = []
        return False

    def _control_groups(self) -> list[str]:
        """Return the groups that can close this socket: its user, session or token."""
        groups = [user_group(self.user.pk)]
        if self.scope.get("auth") == "session":
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                groups.append(session_group(session_digest(session_key)))
        credential = self.scope.get("credential") or {}
        if credential.get("session"):
            groups.append(session_group(credential["session"]))
        if credential.get("token"):
            groups.append(token_group(credential["token"]))
        return groups

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        self._ended(code or 1000)
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int | None) -> None:
        self._ended(CLOSE_NO_STATUS if code is None else code)
        await self._release()

    async def _release(self) -> None:
        """Stop the heartbeat; leave the sweep's registry, the control groups, every board."""
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        sweep.unregister(self)
        for group in self._control:
            await self._discard(group)
        for board_id in list(getattr(self, "boards", {})):
            await self._leave(board_id)

    def _ended(self, code: int) -> None:
        """Count and log the end of the socket, once: whoever closed first gives the code."""
        if self._close_code is None:
            self._close_code = code
            metrics.CLOSES.labels(str(code)).inc()
            self.log.close(code)

    # Client messages.

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message: ClientMessage | None = None
        try:
            if text_data is None:
                raise BadRequest("Send JSON text frames, not binary.")
            if len(text_data.encode()) > settings.WS_MAX_MESSAGE_BYTES:
                raise BadRequest(f"Messages are limited to {settings.WS_MAX_MESSAGE_BYTES} bytes.")
            if not self.bucket.take():
                raise RateLimited("Too many messages; slow down.")
            message = parse(text_data)
            await self._handle(message)
        except CorkboardError as error:
            await self._error(error, getattr(message, "board", None))

    async def _handle(self, message: ClientMessage) -> None:
        if isinstance(message, Ping):
            await self._send({"type": "pong"})
        elif isinstance(message, Subscribe):
            await self._subscribe(message.board, message.since)
        elif isinstance(message, Unsubscribe):
            await self._unsubscribe(message.board)
        elif isinstance(message, Presence):
            await self._presence(message)

    async def _subscribe(self, board_id: int, since: int | None) -> None:
        if board_id not in self.boards and len(self.boards) >= settings.WS_MAX_SUBSCRIPTIONS:
            raise BadRequest(f"At most {settings.WS_MAX_SUBSCRIPTIONS} boards per socket.")
        await database_sync_to_async(check_access)(self.user, board_id)
        # Join the group before reading the replay, so that every later event either is
        # in the replay or arrives live (and is held until the replay has been sent).
        previous = self.boards.get(board_id)
        # Subscribing again keeps this tab's presence, so the heartbeat still refreshes it.
        subscription = Subscription(presence=previous.presence if previous else None)
        self.boards[board_id] = subscription
        if previous is None:
            metrics.SUBSCRIPTIONS.inc()
        await self._join(board_group(board_id))
        try:
            replay: Replay = await database_sync_to_async(replay_since)(self.user, board_id, since)
        except BaseException:
            await self._leave(board_id)
            raise
        self.log.subscribe(board_id)
        async with self._delivery:
            await self._send({"type": "subscribed", "board": board_id, "seq": replay.seq})
            if replay.resync:
                await self._resync(board_id)
                subscription.last_seq = replay.seq
            else:
                for frame in replay.frames:
                    await self._send_frame(frame, "replay")
                if since is not None:
                    metrics.REPLAYS.inc()
                    metrics.REPLAYED_EVENTS.inc(len(replay.frames))
                subscription.last_seq = replay.last_seq
            subscription.syncing = False
            held, subscription.held = subscription.held, []
            for message in sorted(held, key=lambda m: m["seq"]):
                if self.boards.get(board_id) is not subscription:
                    break
                await self._deliver(board_id, subscription, message)
        await self._send_presence(board_id)

    async def _unsubscribe(self, board_id: int) -> None:
        if board_id not in self.boards:
            raise BadRequest("Not subscribed to this board.")
        await self._leave(board_id)

    async def _leave(self, board_id: int) -> None:
        subscription = self.boards.pop(board_id, None)
        if subscription is not None:
            metrics.SUBSCRIPTIONS.dec()
        await self._discard(board_group(board_id))
        if subscription is not None and subscription.presence is not None:
            metrics.PRESENCE_ENTRIES.dec()
            await presence.store().remove(board_id, self.channel_name)
            await self._broadcast_presence(board_id)

    async def _presence(self, message: Presence) -> None:
        subscription = self.boards.get(message.board)
        if subscription is None:
            raise BadRequest("Subscribe to the board before sending presence.")
        if message.card is not None and message.card != subscription.card:
            # Only a card of this board that the user can read: nothing else is broadcast.
            await database_sync_to_async(card_on_board)(self.user, message.board, message.card)
            if self.boards.get(message.board) is not subscription:
                return  # left or subscribed again meanwhile: this presence is stale
            subscription.card = message.card
        if subscription.presence is None:
            metrics.PRESENCE_ENTRIES.inc()
        subscription.presence = {
            "user": {"id": self.user.pk, "username": self.user.username},
            "card": message.card,
            "state": message.state,
        }
        await presence.store().put(message.board, self.channel_name, subscription.presence)
        await self._broadcast_presence(message.board)

    async def _heartbeat(self) -> None:
        """Keep this socket's presence alive, and sweep out other sockets' expired entries."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for board_id, subscription in list(self.boards.items()):
                try:
                    if subscription.presence is not None:
                        await presence.store().put(
                            board_id, self.channel_name, subscription.presence
                        )
                    await self._broadcast_presence(board_id, only_if_changed=True)
                except Exception as error:
                    outage.report("the presence heartbeat", error)

    # Layer messages (never forwarded as is: the client only sees frames built here).

    async def board_event(self, message: dict[str, Any]) -> None:
        subscription = self.boards.get(message["board"])
        if subscription is None:
            return
        if subscription.syncing:
            subscription.held.append(message)
            return
        async with self._delivery:
            if self.boards.get(message["board"]) is subscription:
                await self._deliver(message["board"], subscription, message)

    async def presence_changed(self, message: dict[str, Any]) -> None:
        subscription = self.boards.get(message["board"])
        if subscription is not None and not subscription.syncing:
            self._last_presence[message["board"]] = message["frame"]
            await self._send_frame(message["frame"], "presence")

    async def user_disconnect(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SUSPENDED)

    async def credential_ended(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_CREDENTIAL_ENDED)

    # The catch-up sweep (realtime.sweep).

    def subscribed_boards(self) -> list[int]:
        return [board for board, subscription in self.boards.items() if not subscription.syncing]

    def lagging(self, heads: dict[int, int]) -> list[tuple[int, int]]:
        """Return the boards to gap-fill: behind the head now and at the previous sweep."""
        lagging = []
        for board_id, subscription in self.boards.items():
            if subscription.syncing:
                continue
            head = heads.get(board_id)
            if head is None:  # deleted, and its board.deleted publish was lost
                if subscription.gone:
                    lagging.append((board_id, -1))
                subscription.gone = True
                continue
            mark = subscription.behind
            subscription.behind = head if subscription.last_seq < head else None
            if mark is not None and subscription.last_seq < mark:
                lagging.append((board_id, head))
        return lagging

    async def catch_up(self, board_id: int, head: int) -> None:
        """Send a subscription the events up to ``head`` it never got live."""
        async with self._delivery:
            subscription = self.boards.get(board_id)
            if subscription is None or subscription.syncing:
                return
            if head < 0:
                await self._leave(board_id)
                await self._send(
                    {
                        "type": "error",
                        "code": "not_found",
                        "board": board_id,
                        "message": "This board no longer exists.",
                    }
                )
                return
            if subscription.last_seq < head:
                await self._fill(board_id, subscription, head + 1)

    async def rejoin(self) -> None:
        """Join the groups a Redis outage kept this socket out of."""
        for group in list(self._unjoined):
            if group in self._control or group in {board_group(b) for b in self.boards}:
                await self._join(group)
            else:
                self._unjoined.discard(group)

    # Internals.

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
            published_at=message.get("published_at"),
        )

    async def _fill(self, board_id: int, subscription: Subscription, before: int) -> bool:
        """Send the stored events from ``last_seq`` up to ``before``; False if it ended."""
        metrics.GAP_FILLS.inc()
        try:
            missed = await database_sync_to_async(missed_between)(
                board_id, subscription.last_seq, before
            )
        except Exception as error:
            outage.report("a gap fill", error)
            return True
        if missed and missed[0].seq != subscription.last_seq + 1:
            # Pruned from history meanwhile: the client must reload the board.
            await self._resync(board_id)
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
        published_at: float | None = None,
    ) -> bool:
        """Send one event's frame and apply what it does to the subscription.

        A live event carries ``published_at``, its publish time: it is sent as an
        ``event`` frame and its latency observed; without it, it came from a gap fill.
        Return False when the event ended the subscription.
        """
        if published_at is None:
            await self._send_frame(frame, "gap_fill")
        elif await self._send_frame(frame, "event"):
            metrics.PUBLISH_TO_SEND.observe(max(0.0, time.time() - published_at))
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

    async def _join(self, group: str) -> None:
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:
            # Live delivery degrades; the sweep gap-fills and retries the join.
            outage.report("joining a channel-layer group", error)
            self._unjoined.add(group)
        else:
            self._unjoined.discard(group)

    async def _discard(self, group: str) -> None:
        self._unjoined.discard(group)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception as error:
            outage.report("leaving a channel-layer group", error)

    async def _presence_frame(self, board_id: int) -> str:
        members = presence.members(await presence.store().entries(board_id))
        return json.dumps({"type": "presence", "board": board_id, "members": members})

    async def _send_presence(self, board_id: int) -> None:
        frame = await self._presence_frame(board_id)
        self._last_presence[board_id] = frame
        await self._send_frame(frame, "presence")

    async def _broadcast_presence(self, board_id: int, *, only_if_changed: bool = False) -> None:
        frame = await self._presence_frame(board_id)
        if only_if_changed and self._last_presence.get(board_id) == frame:
            return
        message = {"type": "presence.changed", "board": board_id, "frame": frame}
        try:
            await self.channel_layer.group_send(board_group(board_id), message)
        except Exception as error:
            # Other sockets learn it at their next heartbeat; this one learns it now.
            outage.report("broadcasting presence", error)
            await self.presence_changed(message)

    async def _send_frame(self, frame: str, kind: str) -> bool:
        """Write a frame of ``kind`` (``realtime.metrics.FRAME_KINDS``); False if closing."""
        try:
            await self.send(text_data=frame)
        except Disconnected:
            return False  # the socket is closing; its disconnect cleans up
        metrics.frame_sent(kind)
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        await self._send_frame(json.dumps(message), message["type"])

    async def _resync(self, board_id: int) -> None:
        """Tell the client to reload the board: the events it missed are gone."""
        metrics.RESYNCS.inc()
        await self._send({"type": "resync", "board": board_id})

    async def _error(self, error: CorkboardError, board: int | None) -> None:
        code = error.code if error.code in _SOCKET_CODES else "bad_request"
        payload: dict[str, Any] = {"type": "error", "code": code, "message": error.message}
        if board:
            payload["board"] = board
        await self._send(payload)
