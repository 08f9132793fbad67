"""A y-websocket client for tests: a pycrdt document synced over the real ASGI app.

It behaves as the stock ``y-websocket`` provider does: on connect it sends sync step 1,
answers the server's step 1 with step 2, applies what it receives, and sends each
local change as an update while connected (kept locally while not: the reconnect's
sync sends it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from pycrdt import Doc, Text

from accounts.tickets import ticket_issue
from project.asgi import application
from realtime import ywire


class YClient:
    def __init__(self, user: Any, card_id: int) -> None:
        self.user = user
        self.card_id = card_id
        self.doc: Doc = Doc()
        self.text = self.doc.get("description", type=Text)
        self.socket: WebsocketCommunicator | None = None
        self.generation = ""
        self.current_generation = ""
        self.writable: bool | None = None
        self.sent = 0
        self.saved = 0
        self.awareness: dict[int, Any] = {}
        self.closed: dict[str, Any] | None = None
        self.last_sent: bytes | None = None
        self._local = True
        self.doc.observe(self._on_update)

    def _on_update(self, event: Any) -> None:
        if self._local and self.socket is not None and self.closed is None:
            self._outbox.append(ywire.sync(ywire.UPDATE, event.update))

    _outbox: list[bytes]

    async def connect(self, *, generation: str | None = None) -> YClient:
        self._outbox = []
        self.closed = None
        ticket = await database_sync_to_async(ticket_issue)(self.user.pk)
        query = f"ticket={ticket}"
        if generation is not None:
            query += f"&generation={generation}"
        self.socket = WebsocketCommunicator(application, f"/ws/cards/{self.card_id}/doc/?{query}")
        connected, _ = await self.socket.connect(timeout=5)
        assert connected
        await self.socket.send_to(bytes_data=ywire.sync(ywire.STEP1, self.doc.get_state()))
        await self.pump()
        return self

    async def send_raw(self, data: bytes) -> None:
        assert self.socket is not None
        await self.socket.send_to(bytes_data=data)

    async def flush(self) -> None:
        """Send the local changes made since the last flush (as the provider does)."""
        outbox, self._outbox = self._outbox, []
        for data in outbox:
            self.sent += 1
            await self.send_raw(data)
            self.last_sent = data

    async def flush_reversed(self) -> None:
        """Send the pending local changes in the reverse order (delivery out of order)."""
        self._outbox.reverse()
        await self.flush()

    async def resend(self) -> None:
        """Send the last update again (a duplicated delivery)."""
        if self.last_sent is not None:
            await self.send_raw(self.last_sent)

    def edit(self, index: int, insert: str = "", delete: int = 0) -> None:
        """Edit the text at a code-point index (converted to pycrdt's byte offsets)."""
        current = str(self.text)
        start = len(current[:index].encode())
        with self.doc.transaction():
            if delete:
                del self.text[start : start + len(current[index : index + delete].encode())]
            if insert:
                self.text.insert(start, insert)

    async def pump(self, timeout: float = 0.3) -> None:
        """Handle every frame the server sends until it is quiet for ``timeout``."""
        assert self.socket is not None
        while self.closed is None and not await self.socket.receive_nothing(timeout=timeout):
            message = await self.socket.receive_output()
            if message["type"] == "websocket.close":
                self.closed = message
                return
            await self._handle(message["bytes"])

    async def _handle(self, frame: bytes) -> None:
        reader = ywire._Reader(frame)
        kind = reader.varuint()
        if kind == ywire.HELLO:
            # The generation of this document is the first one it is told; a later
            # hello (before a 4409) names the one a NEW document must load.
            self.current_generation = reader.string()
            self.generation = self.generation or self.current_generation
            self.writable = bool(reader.varuint())
        elif kind == ywire.SAVED:
            self.saved = reader.varuint()
        elif kind == ywire.AWARENESS:
            for entry in ywire.parse_awareness(reader.bytes()):
                if entry.state is None:
                    self.awareness.pop(entry.client, None)
                else:
                    self.awareness[entry.client] = entry.state
        elif kind == ywire.SYNC:
            step, payload = reader.varuint(), reader.bytes()
            if step == ywire.STEP1:
                self.sent += 1
                await self.send_raw(ywire.sync(ywire.STEP2, self.doc.get_update(payload)))
            else:
                self._local = False
                try:
                    self.doc.apply_update(payload)
                finally:
                    self._local = True

    async def wait_closed(self, timeout: float = 3) -> dict[str, Any]:
        assert self.socket is not None
        if self.closed is None:
            while True:
                message = await self.socket.receive_output(timeout=timeout)
                if message["type"] == "websocket.close":
                    self.closed = message
                    break
                await self._handle(message["bytes"])
        return self.closed

    async def disconnect(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.disconnect()
        self.socket = None

    def __str__(self) -> str:
        return str(self.text)
