"""Stopping a Daphne process: SIGTERM drains it, SIGKILL is survivable (defect 14).

On SIGTERM a process stops accepting, closes its sockets with 1012 (service restart),
answers its in-flight requests and exits within 10 s; a publish never holds a request
thread. On SIGKILL clients see 1006 and reconnect to the restarted process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async

from collab.models import Card
from tests.realtime.sockets import bearer, connect, next_of, post, subscribe
from tests.servers import DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]

EXIT_BOUND_SECONDS = 10.0


async def _close_code(socket: Any, timeout: float = 10) -> int | None:
    """Read until the server closes the socket; return the code the client saw."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    except websockets.ConnectionClosed:
        return socket.close_code


async def test_sigterm_closes_sockets_with_1012_and_exits_within_the_bound(team):
    server = DaphneServer()
    headers = await bearer(team.member)
    times = []
    try:
        for _ in range(5):
            server.start()
            sockets = [await connect(server.url, headers) for _ in range(3)]
            for socket in sockets:
                await subscribe(socket, team.board.pk)
            codes = asyncio.gather(*(_close_code(socket) for socket in sockets))
            elapsed = await asyncio.to_thread(server.terminate, 15)
            assert await codes == [1012, 1012, 1012]
            assert elapsed is not None and elapsed < EXIT_BOUND_SECONDS, server.log()[-3000:]
            times.append(elapsed)
        print(f"\nSIGTERM exit times: {', '.join(f'{t:.2f}' for t in times)} s")
    finally:
        server.close()


async def test_sigterm_during_writes_answers_and_commits_and_exits(team):
    server = DaphneServer()
    headers = await bearer(team.owner)
    answered: list[int] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                response = requests.post(
                    f"{server.url}/api/v1/cards/",
                    json={"column": team.todo.pk, "title": f"w{worker}-{n}"},
                    headers=headers,
                    timeout=15,
                )
            except requests.RequestException:
                time.sleep(0.05)
                continue
            if response.status_code == 201:
                answered.append(response.json()["id"])

    try:
        server.start()
        socket = await connect(server.url, await bearer(team.member))
        await subscribe(socket, team.board.pk)
        writers = [threading.Thread(target=write, args=(i,)) for i in range(6)]
        for writer in writers:
            writer.start()
        await asyncio.sleep(1.5)
        code = asyncio.ensure_future(_close_code(socket))
        elapsed = await asyncio.to_thread(server.terminate, 15)
        stop.set()
        for writer in writers:
            await asyncio.to_thread(writer.join, 20)
        print(f"\nSIGTERM under writes: exit in {elapsed} s, {len(answered)} writes answered")
        assert elapsed is not None and elapsed < EXIT_BOUND_SECONDS, server.log()[-3000:]
        assert await code == 1012
        assert answered

        def committed() -> set[int]:
            return set(Card.objects.filter(pk__in=answered).values_list("pk", flat=True))

        assert await database_sync_to_async(committed)() == set(answered)
    finally:
        stop.set()
        server.close()


async def test_sigkill_gives_1006_and_clients_reconnect_to_the_restarted_process(team):
    server = DaphneServer()
    member = await bearer(team.member)
    owner = await bearer(team.owner)
    try:
        server.start()
        socket = await connect(server.url, member)
        seq = (await subscribe(socket, team.board.pk))["seq"]
        code = asyncio.ensure_future(_close_code(socket))
        await asyncio.to_thread(server.kill)
        assert await code == 1006
        server.start()
        response = await post(
            server.url, "/api/v1/cards/", owner, {"column": team.todo.pk, "title": "Back"}
        )
        assert response.status_code == 201, response.text
        socket = await connect(server.url, member)
        await socket.send(json.dumps({"type": "subscribe", "board": team.board.pk, "since": seq}))
        await next_of(socket, "subscribed")
        event = await next_of(socket, "event")
        assert event["seq"] == seq + 1 and event["data"]["title"] == "Back"
        await socket.close()
    finally:
        server.close()
