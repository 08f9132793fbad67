"""The ``/ws/`` consumer: board subscriptions with replay, live events, presence.

One socket per browser tab carries any number of boards. Subscribing joins the board's
group first, then replays the missed events from the Event table, then flushes the live
events that arrived meanwhile, so none falls between replay and live and none comes
twice. A seq jump in live delivery is filled from the database: the channel layer is a
pipe that may drop, PostgreSQL is the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from collab.exceptions import BadRequest, CorkboardError, RateLimited
from realtime import presence
from realtime.groups import board_group, user_group
from realtime.protocol import ClientMessage, Ping, Presence, Subscribe, Unsubscribe, parse
from realtime.replay import Replay, check_access, events_between, replay_since
from realtime.throttle import TokenBucket

# Layer messages whose handlers touch no ORM: skip Channels' per-message
# close_old_connections thread hop, the largest cost of fan-out (DESIGN, pitfalls).
_NO_ORM_HANDLERS = frozenset({"board.event", "presence.changed", "user.disconnect"})
# Socket error codes of the contract; other domain errors are reported as bad_request.
_SOCKET_CODES = {"forbidden", "not_found", "bad_request", "rate_limited"}
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SUSPENDED = 4403
HEARTBEAT_SECONDS = 7.0


@dataclass
class Subscription:
    """A board this socket follows: the last seq sent, and live events held while syncing."""

    last_seq: int = 0
    syncing: bool = True
    held: list[dict[str, Any]] = field(default_factory=list)
    presence: dict[str, Any] | None = None


class BoardConsumer(AsyncWebsocketConsumer):
    """Serve one browser tab or API client: subscriptions, events, presence, ping."""

    user: Any
    boards: dict[int, Subscription]
    bucket: TokenBucket
    heartbeat: asyncio.Task[None] | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] in _NO_ORM_HANDLERS:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    # Connection lifecycle.

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.boards = {}
        self._last_presence: dict[int, str] = {}
        if self.user is None or not self.user.is_authenticated or not self.user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST)
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        await self.accept()
        self.heartbeat = asyncio.ensure_future(self._heartbeat())

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.user is not None and self.user.is_authenticated:
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        for board_id in list(getattr(self, "boards", {})):
            await self._leave(board_id)

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
        await self.channel_layer.group_add(board_group(board_id), self.channel_name)
        try:
            replay: Replay = await database_sync_to_async(replay_since)(self.user, board_id, since)
        except BaseException:
            await self._leave(board_id)
            raise
        await self._send({"type": "subscribed", "board": board_id, "seq": replay.seq})
        if replay.resync:
            await self._send({"type": "resync", "board": board_id})
            subscription.last_seq = replay.seq
        else:
            for frame in replay.frames:
                await self.send(text_data=frame)
            subscription.last_seq = replay.last_seq
        subscription.syncing = False
        held, subscription.held = subscription.held, []
        for message in sorted(held, key=lambda m: m["seq"]):
            await self._deliver(board_id, subscription, message)
        await self._send_presence(board_id)

    async def _unsubscribe(self, board_id: int) -> None:
        if board_id not in self.boards:
            raise BadRequest("Not subscribed to this board.")
        await self._leave(board_id)

    async def _leave(self, board_id: int) -> None:
        subscription = self.boards.pop(board_id, None)
        await self.channel_layer.group_discard(board_group(board_id), self.channel_name)
        if subscription is not None and subscription.presence is not None:
            await presence.store().remove(board_id, self.channel_name)
            await self._broadcast_presence(board_id)

    async def _presence(self, message: Presence) -> None:
        subscription = self.boards.get(message.board)
        if subscription is None:
            raise BadRequest("Subscribe to the board before sending presence.")
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
                with contextlib.suppress(Exception):
                    if subscription.presence is not None:
                        await presence.store().put(
                            board_id, self.channel_name, subscription.presence
                        )
                    await self._broadcast_presence(board_id, only_if_changed=True)

    # Layer messages (never forwarded as is: the client only sees frames built here).

    async def board_event(self, message: dict[str, Any]) -> None:
        subscription = self.boards.get(message["board"])
        if subscription is None:
            return
        if subscription.syncing:
            subscription.held.append(message)
            return
        await self._deliver(message["board"], subscription, message)

    async def presence_changed(self, message: dict[str, Any]) -> None:
        subscription = self.boards.get(message["board"])
        if subscription is not None and not subscription.syncing:
            self._last_presence[message["board"]] = message["frame"]
            await self.send(text_data=message["frame"])

    async def user_disconnect(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SUSPENDED)

    # Internals.

    async def _deliver(
        self, board_id: int, subscription: Subscription, message: dict[str, Any]
    ) -> None:
        seq = message["seq"]
        if seq <= subscription.last_seq:
            return  # already sent by the replay or an earlier gap fill
        if seq > subscription.last_seq + 1:
            missing = await database_sync_to_async(events_between)(
                board_id, subscription.last_seq, seq
            )
            for frame in missing:
                await self.send(text_data=frame)
        await self.send(text_data=message["frame"])
        subscription.last_seq = seq
        if message.get("event") == "board.deleted":
            await self._leave(board_id)
        elif message.get("event") == "member.removed":
            data = json.loads(message["frame"])["data"]
            if data.get("id") == self.user.pk:
                await self._leave(board_id)
                await self._send(
                    {
                        "type": "error",
                        "code": "forbidden",
                        "board": board_id,
                        "message": "You are no longer a member of this board's workspace.",
                    }
                )

    async def _presence_frame(self, board_id: int) -> str:
        members = presence.members(await presence.store().entries(board_id))
        return json.dumps({"type": "presence", "board": board_id, "members": members})

    async def _send_presence(self, board_id: int) -> None:
        frame = await self._presence_frame(board_id)
        self._last_presence[board_id] = frame
        await self.send(text_data=frame)

    async def _broadcast_presence(self, board_id: int, *, only_if_changed: bool = False) -> None:
        frame = await self._presence_frame(board_id)
        if only_if_changed and self._last_presence.get(board_id) == frame:
            return
        await self.channel_layer.group_send(
            board_group(board_id), {"type": "presence.changed", "board": board_id, "frame": frame}
        )

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def _error(self, error: CorkboardError, board: int | None) -> None:
        code = error.code if error.code in _SOCKET_CODES else "bad_request"
        payload: dict[str, Any] = {"type": "error", "code": code, "message": error.message}
        if board:
            payload["board"] = board
        await self._send(payload)
