"""Two people on two Daphne processes co-edit one description (PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from collab.models import Card
from tests.docs.editor import Editor, until
from tests.factories import make_card
from tests.servers import DaphneServer, daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


@pytest.fixture
def servers(team: Any) -> Iterator[tuple[str, str]]:
    with daphne() as first, daphne() as second:
        yield first, second


async def test_two_processes_co_edit_one_description(team: Any, servers: tuple[str, str]) -> None:
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="middle")
    alice = await Editor.open(servers[0], team.member, card.pk)
    bob = await Editor.open(servers[1], team.owner, card.pk)
    await until(lambda: str(alice.text) == str(bob.text) == "middle")
    for i in range(20):
        alice.type(True, f" a{i}")
        bob.type(False, f"b{i} ")
        await asyncio.sleep(0.01)
    await until(lambda: str(alice.text) == str(bob.text) and "a19" in str(bob.text), 15)
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


async def test_a_restart_mid_edit_loses_nothing_and_doubles_nothing(team: Any) -> None:
    """SIGTERM closes the socket with 1012 after the text is stored and projected; the
    editor keeps typing offline, reconnects to the restarted process with the same doc,
    and the sync sends what it typed: each word once."""
    server = DaphneServer()
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="")
    try:
        server.start()
        editor = await Editor.open(server.url, team.member, card.pk)
        editor.type(True, "before")
        await until(lambda: editor.saved >= 2)  # its step 2, then the update
        elapsed = await asyncio.to_thread(server.terminate, 15)
        assert elapsed is not None
        await editor.reader
        assert editor.socket.close_code == 1012
        description = await database_sync_to_async(
            lambda: Card.objects.values_list("description", flat=True).get(pk=card.pk)
        )()
        assert description == "before"
        editor.type(True, " offline")  # not sent: the socket is closed
        server.start()
        again = await Editor.open(server.url, team.member, card.pk, doc=editor.doc)
        other = await Editor.open(server.url, team.owner, card.pk)
        await until(lambda: str(other.text) == "before offline", 10)
        assert str(again.text) == "before offline"
        await again.close()
        await other.close()
    finally:
        server.close()
