"""A y-websocket client on a real socket to a Daphne process (multiprocess and fault tests)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import websockets
from pycrdt import Doc, Text

from realtime import ywire
from tests.realtime.sockets import bearer, post


class Editor:
    """A y-websocket client on a real socket: sends each local change, applies the rest."""

    def __init__(self, socket: Any, doc: Doc | None = None) -> None:
        self.socket = socket
        self.doc: Doc = doc if doc is not None else Doc()
        self.text = self.doc.get("description", type=Text)
        self.remote = False
        self.saved = 0
        self.sending: set[asyncio.Future[None]] = set()
        self.doc.observe(self._changed)
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, base: str, user: Any, card_id: int, doc: Doc | None = None) -> Editor:
        response = await post(base, "/api/v1/auth/ws-ticket/", await bearer(user))
        ticket = response.json()["ticket"]
        url = base.replace("http://", "ws://") + f"/ws/cards/{card_id}/doc/?ticket={ticket}"
        editor = cls(await websockets.connect(url, open_timeout=10), doc)
        await editor.socket.send(ywire.sync(ywire.STEP1, editor.doc.get_state()))
        return editor

    def _changed(self, event: Any) -> None:
        # Offline (socket closed): kept in the doc, sent by the next socket's sync.
        if not self.remote and not self.reader.done():
            task = asyncio.ensure_future(self.socket.send(ywire.sync(ywire.UPDATE, event.update)))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.socket:
                reader = ywire._Reader(frame)
                kind = reader.varuint()
                if kind == ywire.SAVED:
                    self.saved = reader.varuint()
                elif kind == ywire.SYNC:
                    step, payload = reader.varuint(), reader.bytes()
                    if step == ywire.STEP1:
                        update = self.doc.get_update(payload)
                        await self.socket.send(ywire.sync(ywire.STEP2, update))
                    else:
                        self.remote = True
                        try:
                            self.doc.apply_update(payload)
                        finally:
                            self.remote = False

    def type(self, at_end: bool, words: str) -> None:
        self.text.insert(len(self.text) if at_end else 0, words)

    async def close(self) -> None:
        await self.socket.close()
        self.reader.cancel()


async def until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
