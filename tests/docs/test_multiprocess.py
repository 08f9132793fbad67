"""Two people on two Daphne processes co-edit one description (PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from channels.db import database_sync_to_async
from pycrdt import Doc, Text

from collab.models import Card
from realtime import ywire
from tests.factories import make_card
from tests.realtime.sockets import bearer, post
from tests.servers import daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


@pytest.fixture
def servers(team: Any) -> Iterator[tuple[str, str]]:
    with daphne() as first, daphne() as second:
        yield first, second


class Editor:
    """A y-websocket client on a real socket: sends each local change, applies the rest."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.doc: Doc = Doc()
        self.text = self.doc.get("description", type=Text)
        self.remote = False
        self.saved = 0
        self.doc.observe(self._changed)
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, base: str, user: Any, card_id: int) -> Editor:
        response = await post(base, "/api/v1/auth/ws-ticket/", await bearer(user))
        ticket = response.json()["ticket"]
        url = base.replace("http://", "ws://") + f"/ws/cards/{card_id}/doc/?ticket={ticket}"
        editor = cls(await websockets.connect(url, open_timeout=10))
        await editor.socket.send(ywire.sync(ywire.STEP1, editor.doc.get_state()))
        return editor

    def _changed(self, event: Any) -> None:
        if not self.remote:
            asyncio.ensure_future(self.socket.send(ywire.sync(ywire.UPDATE, event.update)))

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


async def _until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_two_processes_co_edit_one_description(team: Any, servers: tuple[str, str]) -> None:
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="middle")
    alice = await Editor.open(servers[0], team.member, card.pk)
    bob = await Editor.open(servers[1], team.owner, card.pk)
    await _until(lambda: str(alice.text) == str(bob.text) == "middle")
    for i in range(20):
        alice.type(True, f" a{i}")
        bob.type(False, f"b{i} ")
        await asyncio.sleep(0.01)
    await _until(lambda: str(alice.text) == str(bob.text) and "a19" in str(bob.text), 15)
    text = str(alice.text)
    assert all(f"a{i}" in text and f"b{i}" in text for i in range(20))
    assert text.count("middle") == 1
    await alice.close()
    await bob.close()

    async def projected() -> str:
        return await database_sync_to_async(
            lambda: Card.objects.values_list("description", flat=True).get(pk=card.pk)
        )()

    deadline = time.monotonic() + 15
    while await projected() != text:
        assert time.monotonic() < deadline, await projected()
        await asyncio.sleep(0.2)
