"""The ``/ws/`` consumer: board subscriptions with replay, live events, presence.

One socket per browser tab carries any number of boards. Subscribing adds the socket
to this process's hub (:mod:`realtime.hub`) first, then replays the missed events from
the Event table, then flushes the live events that arrived meanwhile, so none falls
between replay and live and none comes twice. Live events are written by the hub, one
encoded frame for every local socket; what the hub cannot write at once (a seq jump, an
event that ends the subscription, a slow socket) goes through the socket's ordered slow
path (:mod:`realtime.delivery`). The channel layer is a pipe that may drop, PostgreSQL
is the truth: a socket that missed an event and hears nothing more is gap-filled by this
process's catch-up sweep (:mod:`realtime.sweep`).

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
import secrets
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from collab.exceptions import BadRequest, CorkboardError, RateLimited
from realtime import hub as hubs
from realtime import metrics, presence, sweep
from realtime.auth import join_control_groups, refused_at_join
from realtime.db import db_read
from realtime.delivery import Delivery, Subscription
from realtime.hub import Hub
from realtime.protocol import ClientMessage, Ping, Presence, Subscribe, Unsubscribe, parse
from realtime.replay import Replay, card_on_board
from realtime.shutdown import CLOSE_TRY_AGAIN_LATER
from realtime.socket_log import SocketLog
from realtime.throttle import TokenBucket
from realtime.wire import Frame, writer_for

# Socket error codes of the contract; other domain errors are reported as bad_request.
_SOCKET_CODES = {"forbidden", "not_found", "bad_request", "rate_limited"}
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SUSPENDED = 4403
CLOSE_CREDENTIAL_ENDED = 4410
CLOSE_INTERNAL_ERROR = 1011
# What a close without a code is counted as (RFC 6455: "no status received").
CLOSE_NO_STATUS = 1005
# How long a close waits for frames still queued for the socket (non-Daphne servers).
_FLUSH_SECONDS = 2.0
_CONTROL_CLOSES = {"user.disconnect": CLOSE_SUSPENDED, "credential.ended": CLOSE_CREDENTIAL_ENDED}


class BoardConsumer(Delivery, AsyncWebsocketConsumer):
    """Serve one browser tab or API client: subscriptions, events, presence, ping."""

    user: Any
    bucket: TokenBucket
    log: SocketLog
    hub: Hub | None = None
    _close_code: int | None = None
    _closing: asyncio.Future[None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Run the socket without a channel of its own: the hub receives for it.

        Channels would give every socket a layer channel and a receive task; here the
        socket only reads its client, and dispatches without Channels' per-message
        ``close_old_connections`` thread hop (its ORM work runs through ``db_read``).
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        self.writer = writer_for(send)
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            await getattr(self, get_handler_name(message))(message)
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
        self._control: list[str] = []
        # One slow-path delivery at a time per socket (realtime.delivery).
        self._delivery = asyncio.Lock()
        self.presence_id = secrets.token_hex(8)
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
        self.hub = await hubs.get()
        if not await self._join_control_groups():
            sweep.unregister(self)
            await self.close(code=refused_at_join(self.scope))
            return
        self.bucket = TokenBucket(settings.WS_RATE_PER_SECOND, settings.WS_RATE_BURST)
        await self.accept()

    async def _join_control_groups(self) -> bool:
        """Join the groups that can close this socket; False if its credential has ended."""
        assert self.hub is not None
        groups = await join_control_groups(self.hub, self, self.scope)
        self._control = groups or []
        return groups is not None

    def control(self, kind: str) -> None:
        """Close the socket for a suspension, a log-out or a revoked token (the hub)."""
        self._closing = asyncio.ensure_future(self.close(code=_CONTROL_CLOSES[kind]))

    def notification(self, frame: str) -> None:
        """Send the user a new notification (``collab.notify``), through the hub."""
        if self.writer.write(Frame(frame)):
            metrics.frame_sent("notification")

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        self._ended(code or 1000)
        await self.writer.flush(_FLUSH_SECONDS)
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int | None) -> None:
        self._ended(CLOSE_NO_STATUS if code is None else code)
        await self._release()

    async def _release(self) -> None:
        """Leave the sweep's registry, the control groups and every board."""
        sweep.unregister(self)
        if self.hub is not None:
            for group in self._control:
                self.hub.leave(group, self)
        self._control = []
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
        assert self.hub is not None
        if board_id not in self.boards and len(self.boards) >= settings.WS_MAX_SUBSCRIPTIONS:
            raise BadRequest(f"At most {settings.WS_MAX_SUBSCRIPTIONS} boards per socket.")
        previous = self.boards.get(board_id)
        # Subscribing again keeps this tab's presence, so the beat still refreshes it.
        subscription = Subscription(
            socket=self, writer=self.writer, presence=previous.presence if previous else None
        )
        if previous is None:
            metrics.SUBSCRIPTIONS.inc()
        else:
            self.hub.unsubscribe(board_id, previous)
        if await self._follow(board_id, subscription, since):
            await self._send_frame(await self.hub.presence_frame(board_id), "presence")

    async def _announce(self, board_id: int, replay: Replay) -> None:
        self.log.subscribe(board_id)
        await self._send({"type": "subscribed", "board": board_id, "seq": replay.seq})

    async def _unsubscribe(self, board_id: int) -> None:
        if board_id not in self.boards:
            raise BadRequest("Not subscribed to this board.")
        await self._leave(board_id)

    async def _leave(self, board_id: int) -> None:
        subscription = self.boards.pop(board_id, None)
        if subscription is None:
            return
        subscription.live = False
        metrics.SUBSCRIPTIONS.dec()
        if self.hub is not None:
            self.hub.unsubscribe(board_id, subscription)
        if subscription.presence is not None:
            metrics.PRESENCE_ENTRIES.dec()
            await presence.store().remove(board_id, self.presence_id)
            if self.hub is not None:
                await self.hub.broadcast_presence(board_id)

    async def _presence(self, message: Presence) -> None:
        assert self.hub is not None
        subscription = self.boards.get(message.board)
        if subscription is None:
            raise BadRequest("Subscribe to the board before sending presence.")
        if message.card is not None and message.card != subscription.card:
            # Only a card of this board that the user can read: nothing else is broadcast.
            await db_read(card_on_board)(self.user, message.board, message.card)
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
        await presence.store().put(message.board, self.presence_id, subscription.presence)
        await self.hub.broadcast_presence(message.board)

    # Internals.

    async def _send_frame(self, frame: str, kind: str) -> bool:
        """Write a frame of ``kind`` (``realtime.metrics.FRAME_KINDS``); False if closing."""
        if not self.writer.write(Frame(frame)):
            return False  # the socket is closing; its disconnect cleans up
        metrics.frame_sent(kind)
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        await self._send_frame(json.dumps(message), message["type"])

    async def _error(self, error: CorkboardError, board: int | None) -> None:
        code = error.code if error.code in _SOCKET_CODES else "bad_request"
        payload: dict[str, Any] = {"type": "error", "code": code, "message": error.message}
        if board:
            payload["board"] = board
        await self._send(payload)
