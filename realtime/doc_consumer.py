"""The ``/ws/cards/<id>/doc/`` consumer: one card's description, co-edited over y-websocket.

The stock ``y-websocket`` provider (and any Yjs client speaking its protocol) connects
here, with the same credentials as ``/ws/``. On connect the server sends *hello*
(generation, writable), its sync step 1 to a socket that may write (so that a
reconnecting client sends what it typed offline) and the cursors it knows; it answers
the client's step 1 with step 2 from the room's authoritative document
(:mod:`realtime.docs`). Each update-bearing message is stored before it is fanned out
and acknowledged with *saved*.

``?generation=`` names the generation the client's document belongs to; another one is
refused with 4409 and the current generation as the close reason: the client drops its
document and loads the new one (never merging two histories). Without the parameter
(a stock client that keeps no document across page loads) it is not checked.

Close codes (4xxx: autobahn, under Daphne, sends no other application codes): 4400 a
frame that is not y-websocket (a text frame, truncated, garbage), or text that is not
valid; 4401 unauthenticated; 4403 a write by a reader, or the account suspended; 4404
no such card (or no longer a member); 4409 another generation (after a *hello* with
the current one: Daphne sends no close reason); 4410 logged out or token revoked; 4413
a frame over ``DOC_MAX_MESSAGE_BYTES``; 4429 too many frames; 1012 the server is
restarting; 1013 the database is unavailable (reconnect: the client still has its
edits, and the sync sends them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from collab import docs
from collab.exceptions import BoardLocked, CorkboardError, Forbidden, NotFound
from collab.services.docs import StaleGeneration, doc_access
from realtime import hub as hubs
from realtime import ywire
from realtime.auth import join_control_groups, refused_at_join
from realtime.db import db_read
from realtime.docs import Room, open_room
from realtime.throttle import TokenBucket

logger = logging.getLogger(__name__)

CLOSE_BAD_FRAME = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_GENERATION = 4409
CLOSE_CREDENTIAL_ENDED = 4410
CLOSE_RATE_LIMITED = 4429
CLOSE_TOO_BIG = 4413
CLOSE_TRY_AGAIN = 1013
_CONTROL_CLOSES = {"user.disconnect": CLOSE_FORBIDDEN, "credential.ended": CLOSE_CREDENTIAL_ENDED}


class DocConsumer(AsyncWebsocketConsumer):
    """Serve one editor of one card's description."""

    user: Any
    room: Room | None = None
    writable = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # As BoardConsumer: no layer channel per socket (the room's hub receives).
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        self._out: deque[bytes] = deque()
        self._sender: asyncio.Task[None] | None = None
        self._control: list[str] = []
        self.clients: set[int] = set()
        self.saved = 0
        try:
            while True:
                message = await receive()
                try:
                    await getattr(self, get_handler_name(message))(message)
                except StopConsumer:
                    raise
                except BaseException:
                    await self._release()
                    raise
        except StopConsumer:
            pass

    # Lifecycle.

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.card_id = int(self.scope["url_route"]["kwargs"]["card_id"])
        await self.accept()  # then close with a code: a refusal before it is a bare 403
        if self.user is None or not self.user.is_authenticated or not self.user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            access = await db_read(doc_access)(self.user, self.card_id)
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        hub = await hubs.get()
        groups = await join_control_groups(hub, self, self.scope)
        if groups is None:
            await self.close(code=refused_at_join(self.scope))
            return
        self._control = groups
        self.writable = access.writable
        self.bucket = TokenBucket(settings.DOC_RATE_PER_SECOND, settings.DOC_RATE_BURST)
        try:
            room = await open_room(self.card_id)
        except NotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        wanted = self._generation()
        if wanted and wanted != room.generation:
            self.push(ywire.hello(room.generation, self.writable))
            await self._flushed()
            await self.close(code=CLOSE_GENERATION, reason=room.generation)
            return
        self.room = room
        room.add(self)
        self.push(ywire.hello(room.generation, self.writable))
        if self.writable:
            self.push(ywire.sync(ywire.STEP1, room.doc.get_state()))
        cursors = room.awareness_frame()
        if cursors is not None:
            self.push(cursors)

    def _generation(self) -> str:
        query = parse_qs(bytes(self.scope.get("query_string", b"")).decode("latin-1"))
        return query.get("generation", [""])[0]

    async def disconnect(self, code: int | None) -> None:
        await self._release()

    async def _release(self) -> None:
        hub = hubs.current()
        if hub is not None:
            for group in self._control:
                hub.leave(group, self)
        self._control = []
        room, self.room = self.room, None
        if room is not None:
            await room.remove(self)

    def control(self, kind: str) -> None:
        """Close for a suspension, a log-out or a revoked token (the hub)."""
        self._end(_CONTROL_CLOSES[kind])

    def notification(self, frame: str) -> None:
        """Notifications go to ``/ws/``, not to description sockets."""

    def reset(self, generation: str) -> None:
        """The document started a new generation: this client must drop its copy."""
        self.push(ywire.hello(generation, self.writable))
        self._end(CLOSE_GENERATION, generation)

    def _end(self, code: int, reason: str | None = None) -> None:
        task = asyncio.ensure_future(self._close_after_sent(code, reason))
        task.add_done_callback(lambda _: None)
        self._closing = task

    async def _close_after_sent(self, code: int, reason: str | None) -> None:
        room, self.room = self.room, None
        if room is not None:
            await room.remove(self)
        await self._flushed()
        await self.close(code=code, reason=reason)

    async def check_access(self) -> None:
        """Check again that the user may read (and write) the card (the room's sweep)."""
        try:
            access = await db_read(doc_access)(self.user, self.card_id)
        except NotFound:
            self._end(CLOSE_NOT_FOUND)
            return
        if access.writable != self.writable and self.room is not None:
            self.writable = access.writable
            self.push(ywire.hello(self.room.generation, self.writable))
            if self.writable:
                self.push(ywire.sync(ywire.STEP1, self.room.doc.get_state()))

    # Sending, in order.

    async def _flushed(self) -> None:
        """Wait (a little) until what was pushed is sent, so a close comes after it."""
        if self._sender is not None and not self._sender.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._sender), 2.0)

    def push(self, data: bytes) -> None:
        self._out.append(data)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self._out:
            data = self._out.popleft()
            try:
                await self.send(bytes_data=data)
            except Exception:
                self._out.clear()  # the socket is gone; its disconnect cleans up
                return

    # Client frames.

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return  # closing
        if bytes_data is None:
            await self._refuse(CLOSE_BAD_FRAME, "Send binary y-websocket frames, not text.")
            return
        if len(bytes_data) > settings.DOC_MAX_MESSAGE_BYTES:
            limit = settings.DOC_MAX_MESSAGE_BYTES
            await self._refuse(CLOSE_TOO_BIG, f"Frames are limited to {limit} bytes.")
            return
        if not self.bucket.take():
            await self._refuse(CLOSE_RATE_LIMITED, "Too many frames; slow down.")
            return
        try:
            message = ywire.parse(bytes_data)
            await self._handle(message)
        except (ywire.BadFrame, docs.BadUpdate) as error:
            await self._refuse(CLOSE_BAD_FRAME, f"Not a y-websocket message: {error}")
        except StaleGeneration as error:
            self.push(ywire.hello(error.generation, self.writable))
            await self._refuse(CLOSE_GENERATION, error.generation)
        except (Forbidden, BoardLocked) as error:
            self.writable = False
            await self._refuse(CLOSE_FORBIDDEN, error.message)
        except NotFound as error:
            await self._refuse(CLOSE_NOT_FOUND, error.message)
        except CorkboardError as error:  # invalid text: too long, control characters
            await self._refuse(CLOSE_BAD_FRAME, error.message)
        except DatabaseError as error:
            logger.warning("card %s: storing an update failed: %s", self.card_id, error)
            await self._refuse(CLOSE_TRY_AGAIN, "The database is unavailable; reconnect.")

    async def _handle(self, message: ywire.Message) -> None:
        room = self.room
        assert room is not None
        if isinstance(message, ywire.Sync):
            if message.step == ywire.STEP1:
                try:
                    update = room.doc.get_update(message.payload)
                except ValueError as error:
                    raise ywire.BadFrame(f"not a state vector ({error})") from None
                self.push(ywire.sync(ywire.STEP2, update))
                return
            if not self.writable:
                if docs.probe(docs.state(room.doc), message.payload)[0] != docs.state(room.doc):
                    raise Forbidden("You can read this description but not edit it.")
                return
            await room.store(self, message.payload)
            self.saved += 1
            self.push(ywire.saved(self.saved))
        elif isinstance(message, ywire.Awareness):
            accepted = room.accept_awareness(self, message.entries)
            await room.relay_awareness(accepted)
        else:
            frame = room.awareness_frame()
            if frame is not None:
                self.push(frame)

    async def _refuse(self, code: int, reason: str) -> None:
        room, self.room = self.room, None
        if room is not None:
            await room.remove(self)
        await self._flushed()
        # A close reason is at most 123 bytes (RFC 6455).
        await self.close(code=code, reason=reason.encode()[:123].decode(errors="ignore"))
