"""``GET /api/v1/boards/<id>/stream/``: one board's events as server-sent events.

For ``curl -N`` and integrations that cannot speak websockets. The same rules as the
socket (:mod:`realtime.consumers`), from the same places: a bearer token or the
session cookie (:func:`realtime.auth.stream_user`), the board's read access, the hub
subscription first and the replay from ``Last-Event-ID`` (or ``?since=``) second with
the held live events after it (:meth:`realtime.delivery.Delivery._follow`), the slow
path and catch-up sweep for what the pipe drops, and the control groups that end it on
a suspension, a log-out, a revoked token or a lost membership. The wire format is
:mod:`collab.streams`. A graceful stop ends the stream; the client resumes with
``Last-Event-ID`` elsewhere, missing nothing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from collab import streams
from collab.exceptions import (
    CorkboardError,
    NotAuthenticated,
    ServiceUnavailable,
    error_body,
    error_headers,
)
from collab.replay import Replay
from realtime import hub as hubs
from realtime import metrics, sweep
from realtime.auth import header, join_control_groups, stream_user
from realtime.db import db_read
from realtime.delivery import Delivery, Subscription
from realtime.groups import board_group
from realtime.hub import Hub
from realtime.wire import Frame, StreamWriter

# What a dependency that is down raises: the client is told 503, to retry.
_DEPENDENCY_ERRORS = (DatabaseError, RedisError, OSError)
_FLUSH_SECONDS = 2.0
_CONTROL_ERRORS = {
    "user.disconnect": ("suspended", "This account is suspended."),
    "credential.ended": ("credential_ended", "The session ended or the token was revoked."),
}


class BoardStream(Delivery, AsyncHttpConsumer):
    """Stream one board's events to one HTTP client until it leaves or is cut off."""

    user: Any = None
    hub: Hub | None = None
    writer: StreamWriter
    presence_id = ""  # streams announce no presence
    _started = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve the request without a layer channel of its own: the hub receives for it.

        Channels would run ``handle`` inside its dispatch loop, deaf to the client's
        disconnect until the stream ends; here the request body is read, the stream
        served, and a disconnect ends it.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        self.writer = StreamWriter(send)
        self.boards: dict[int, Subscription] = {}
        self._control: list[str] = []
        self._delivery = asyncio.Lock()
        self._ended = asyncio.Event()
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        watching = asyncio.ensure_future(self._watch(receive))
        try:
            await self.handle(body)
        finally:
            watching.cancel()
            await self._release()

    async def _watch(self, receive: Any) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._ended.set()

    async def handle(self, body: bytes) -> None:
        if self.scope["method"] != "GET":
            message = f'Method "{self.scope["method"]}" not allowed.'
            await self._refuse(405, error_body("method_not_allowed", message), Allow="GET")
            return
        try:
            await self._open(self.scope["url_route"]["kwargs"]["board_id"])
        except CorkboardError as error:
            await self._refuse_error(error)
            return
        except _DEPENDENCY_ERRORS:
            await self._refuse_error(ServiceUnavailable())
            return
        beat = asyncio.ensure_future(self._beat())
        try:
            await self._ended.wait()
        finally:
            beat.cancel()
            self.writer.end()
            await self.writer.flush(_FLUSH_SECONDS)

    async def _open(self, board_id: int) -> None:
        """Authenticate, join the control groups and follow the board: headers, replay."""
        query = bytes(self.scope.get("query_string", b"")).decode("latin-1")
        since = streams.parse_since(header(self.scope, b"last-event-id"), _query(query, "since"))
        self.scope = await db_read(stream_user)(self.scope)
        self.user = self.scope["user"]
        self.hub = await hubs.get()
        groups = await join_control_groups(self.hub, self, self.scope)
        if groups is None:
            raise NotAuthenticated("The session ended or the token was revoked.")
        self._control = groups
        if not sweep.register(self):
            raise ServiceUnavailable("This server is full; try again shortly.")
        subscription = Subscription(socket=self, writer=self.writer)
        await self._follow(board_id, subscription, since)

    async def _announce(self, board_id: int, replay: Replay) -> None:
        """Start the response, once access is checked, unless live delivery is down."""
        assert self.hub is not None
        if board_group(board_id) not in self.hub.joined:
            raise ServiceUnavailable()  # no live events: the channel layer is down
        headers = [(k.encode(), v.encode()) for k, v in streams.HEADERS.items()]
        await self.send_headers(status=200, headers=headers)
        self._started = True
        self.writer.write_block(streams.RETRY)

    async def _beat(self) -> None:
        """Write a comment every ``SSE_HEARTBEAT_SECONDS``: proxies keep idle streams."""
        while True:
            await asyncio.sleep(settings.SSE_HEARTBEAT_SECONDS)
            if not self.writer.write_block(streams.PING):
                return

    # What Delivery and the hub call.

    async def _send_frame(self, frame: str, kind: str) -> bool:
        if not self.writer.write(Frame(frame)):
            return False
        metrics.frame_sent(kind)
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        """Send an error that ends the subscription as the stream's last block."""
        if message["type"] == "error":
            self._end(message["code"], message["message"])

    async def _resync(self, board_id: int, head: int) -> None:
        metrics.RESYNCS.inc()
        self.writer.write_block(streams.resync_block(board_id, head))

    async def _leave(self, board_id: int) -> None:
        """Stop following the board: the stream ends (after an error sent right after)."""
        subscription = self.boards.pop(board_id, None)
        if subscription is not None:
            subscription.live = False
            if self.hub is not None:
                self.hub.unsubscribe(board_id, subscription)
        # Only a flag: the error block that _emit sends next is queued before the end.
        self._ended.set()

    def control(self, kind: str) -> None:
        self._end(*_CONTROL_ERRORS[kind])

    def notification(self, frame: str) -> None:
        """A board's stream carries its events only; a user's notifications go to sockets."""

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """End the stream (the graceful stop): the client resumes with Last-Event-ID."""
        self._ended.set()

    def _end(self, code: str, message: str) -> None:
        self.writer.write_block(streams.error_block(code, message))
        self._ended.set()

    async def _release(self) -> None:
        sweep.unregister(self)
        if self.hub is not None:
            for group in self._control:
                self.hub.leave(group, self)
        self._control = []
        for board_id in list(self.boards):
            await self._leave(board_id)

    async def _refuse_error(self, error: CorkboardError) -> None:
        headers = error_headers(error)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        body = error_body(error.code, error.message, error.detail)
        await self._refuse(error.status, body, **headers)

    async def _refuse(self, status: int, body: dict[str, Any], **headers: str) -> None:
        """Answer an error in the REST API's shape, as JSON, never HTML."""
        if self._started:  # too late for a status: end the stream instead
            self._end(body["error"], body["message"])
            return
        sent = [(b"content-type", b"application/json")]
        sent += [(k.encode(), v.encode()) for k, v in headers.items()]
        await self.send_response(status, json.dumps(body).encode(), headers=sent)


def _query(query: str, name: str) -> str | None:
    values = parse_qs(query, keep_blank_values=True).get(name)
    return values[0] if values else None
