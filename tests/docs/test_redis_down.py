"""Co-editing while the channel layer's Redis is killed and restarted (its own Redis).

The truth is PostgreSQL: with the pipe gone each process still stores its editors'
updates, and reads the other process's back within a sweep or two; nothing is lost.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from collab.models import Card
from tests.docs.editor import Editor, until
from tests.factories import make_card
from tests.servers import DaphneServer, RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


async def test_editors_on_two_processes_converge_through_a_redis_outage(team: Any) -> None:
    redis = RedisServer()
    redis.start()
    servers = [DaphneServer() for _ in range(2)]
    editors: list[Editor] = []
    try:
        for server in servers:
            server.extra_env = {**redis.env(), "LOG_LEVEL": "INFO"}
            server.start()
        card = await database_sync_to_async(make_card)(team.member, team.todo, description="x")
        alice = await Editor.open(servers[0].url, team.member, card.pk)
        bob = await Editor.open(servers[1].url, team.owner, card.pk)
        editors = [alice, bob]
        await until(lambda: str(alice.text) == str(bob.text) == "x")

        redis.kill()
        started = time.monotonic()
        alice.type(True, " alice-down")
        bob.type(False, "bob-down ")
        await until(lambda: str(alice.text) == str(bob.text) == "bob-down x alice-down", 15)
        print(f"\nwith Redis down, both editors converged in {time.monotonic() - started:.2f} s")

        redis.start()
        await asyncio.sleep(1)
        alice.type(True, " again")
        await until(lambda: str(bob.text).endswith("alice-down again"), 15)
        text = str(alice.text)
        assert text == str(bob.text) == "bob-down x alice-down again"
        for editor in editors:
            await editor.close()
        editors = []

        async def projected() -> str:
            return await database_sync_to_async(
                lambda: Card.objects.values_list("description", flat=True).get(pk=card.pk)
            )()

        deadline = time.monotonic() + 15
        while await projected() != text:
            assert time.monotonic() < deadline, await projected()
            await asyncio.sleep(0.2)
    finally:
        for editor in editors:
            await editor.close()
        for server in servers:
            server.close()
        redis.kill()
