"""Two real Daphne processes on loopback sharing PostgreSQL and Redis.

Every cross-process behaviour holds: events of a REST write to one process reach a
socket on the other, presence is shared, a suspension closes sockets everywhere, an
idle socket outlives redis-py's default read timeout, and a connect burst succeeds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission

from collab.services.users import user_set_active
from tests.factories import make_token
from tests.servers import DaphneServer, daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


@pytest.fixture
def servers(team: Any) -> Iterator[tuple[str, str]]:
    with daphne() as first, daphne() as second:
        yield first, second


def _bearer(user: Any) -> dict[str, str]:
    _, plaintext = make_token(user)
    return {"Authorization": f"Bearer {plaintext}"}


async def _socket(base: str, user: Any, board: int, since: int | None = None) -> Any:
    headers = await database_sync_to_async(_bearer)(user)
    response = await asyncio.to_thread(
        requests.post, f"{base}/api/v1/auth/ws-ticket/", headers=headers, timeout=10
    )
    assert response.status_code in (200, 201), response.text
    url = base.replace("http://", "ws://") + f"/ws/?ticket={response.json()['ticket']}"
    socket = await websockets.connect(url, open_timeout=10)
    message: dict[str, Any] = {"type": "subscribe", "board": board}
    if since is not None:
        message["since"] = since
    await socket.send(json.dumps(message))
    assert (await _next(socket))["type"] == "subscribed"
    return socket


async def _next(socket: Any, kind: str | None = None, timeout: float = 5) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message["type"] == "presence" and kind != "presence":
            continue
        if kind is None or message["type"] == kind:
            return message


async def test_rest_write_on_one_process_reaches_a_socket_on_the_other(team, servers):
    first, second = servers
    socket = await _socket(first, team.member, team.board.pk)
    headers = await database_sync_to_async(_bearer)(team.owner)
    response = await asyncio.to_thread(
        requests.post,
        f"{second}/api/v1/cards/",
        json={"column": team.todo.pk, "title": "Across processes"},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    event = await _next(socket, "event")
    assert event["event"] == "card.created" and event["data"] == response.json()
    await socket.close()


async def test_presence_is_shared_between_processes(team, servers):
    first, second = servers
    alice = await _socket(first, team.member, team.board.pk)
    bob = await _socket(second, team.viewer, team.board.pk)
    await alice.send(json.dumps({"type": "presence", "board": team.board.pk, "state": "viewing"}))
    deadline = time.monotonic() + 5
    while True:
        members = (await _next(bob, "presence"))["members"]
        if any(m["user"]["username"] == "member" for m in members):
            break
        assert time.monotonic() < deadline
    await alice.close()
    while any(m["user"]["username"] == "member" for m in (await _next(bob, "presence"))["members"]):
        assert time.monotonic() < deadline + 5
    await bob.close()


async def test_suspension_closes_sockets_on_every_process_within_a_second(team, servers):
    def moderator() -> Any:
        team.owner.user_permissions.add(Permission.objects.get(codename="moderate"))
        return type(team.owner).objects.get(pk=team.owner.pk)

    sockets = [await _socket(base, team.member, team.board.pk) for base in servers]
    mod = await database_sync_to_async(moderator)()
    started = time.monotonic()
    await database_sync_to_async(user_set_active)(actor=mod, user_id=team.member.pk, active=False)
    for socket in sockets:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), 1.0)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert time.monotonic() - started < 1.5


async def test_idle_socket_survives_past_redis_read_timeout(team, servers):
    """redis-py 8's default 5 s socket timeout would kill idle subscribers (pitfall)."""
    first, second = servers
    socket = await _socket(first, team.member, team.board.pk)
    await asyncio.sleep(11)
    headers = await database_sync_to_async(_bearer)(team.owner)
    response = await asyncio.to_thread(
        requests.post,
        f"{second}/api/v1/cards/",
        json={"column": team.todo.pk, "title": "After a quiet spell"},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 201
    assert (await _next(socket, "event"))["data"]["title"] == "After a quiet spell"
    await socket.close()


async def test_a_burst_of_100_connects_all_succeed_and_all_receive(team, servers):
    """The asyncio pool cap of 100 would raise during a connect burst (pitfall)."""
    first, second = servers
    headers = await database_sync_to_async(_bearer)(team.member)

    async def ticket() -> str:
        response = await asyncio.to_thread(
            requests.post, f"{second}/api/v1/auth/ws-ticket/", headers=headers, timeout=10
        )
        return str(response.json()["ticket"])

    tickets = [await ticket() for _ in range(100)]
    ws_base = first.replace("http://", "ws://")

    async def connect(t: str) -> Any:
        socket = await websockets.connect(f"{ws_base}/ws/?ticket={t}", open_timeout=20)
        await socket.send(json.dumps({"type": "subscribe", "board": team.board.pk}))
        assert (await _next(socket, timeout=20))["type"] == "subscribed"
        return socket

    sockets = await asyncio.gather(*(connect(t) for t in tickets))
    assert len(sockets) == 100
    owner_headers = await database_sync_to_async(_bearer)(team.owner)
    response = await asyncio.to_thread(
        requests.post,
        f"{second}/api/v1/cards/",
        json={"column": team.todo.pk, "title": "Fan-out"},
        headers=owner_headers,
        timeout=10,
    )
    assert response.status_code == 201
    events = await asyncio.gather(*(_next(s, "event", timeout=15) for s in sockets))
    assert {e["data"]["title"] for e in events} == {"Fan-out"}
    await asyncio.gather(*(s.close() for s in sockets))


async def test_a_killed_process_leaves_no_presence_ghost_within_30_seconds(team):
    """Presence entries of a SIGKILLed server expire; the survivors sweep them out."""
    doomed = DaphneServer()
    doomed.start()
    try:
        with daphne() as survivor:
            alice = await _socket(doomed.url, team.member, team.board.pk)
            await alice.send(json.dumps({"type": "presence", "board": team.board.pk}))
            bob = await _socket(survivor, team.viewer, team.board.pk)
            started = time.monotonic()
            while not any(
                m["user"]["username"] == "member" for m in (await _next(bob, "presence"))["members"]
            ):
                assert time.monotonic() - started < 5
            assert doomed.process is not None
            doomed.process.kill()  # no disconnect handler runs: the entry is left behind
            killed = time.monotonic()
            while True:
                members = (await _next(bob, "presence", timeout=30))["members"]
                if all(m["user"]["username"] != "member" for m in members):
                    break
            assert time.monotonic() - killed < 30
            await bob.close()
    finally:
        doomed.stop()


async def test_a_mention_reaches_the_users_sockets_on_both_processes(team, servers):
    # The viewer has a socket on each process, subscribed to nothing in particular: the
    # notification travels through the per-user group, not the board's.
    sockets = [await _socket(base, team.viewer, team.board.pk) for base in servers]
    headers = await database_sync_to_async(_bearer)(team.member)
    card = await asyncio.to_thread(
        requests.post,
        f"{servers[1]}/api/v1/cards/",
        json={"column": team.todo.pk, "title": "Review"},
        headers=headers,
        timeout=10,
    )
    comment = await asyncio.to_thread(
        requests.post,
        f"{servers[0]}/api/v1/comments/",
        json={"card": card.json()["id"], "body": "@viewer can you look?"},
        headers=headers,
        timeout=10,
    )
    assert comment.status_code == 201, comment.text
    for socket in sockets:
        message = await _next(socket, "notification")
        notification = message["notification"]
        assert notification["reason"] == "mentioned" and notification["card"] == card.json()["id"]
        assert notification["actor"]["username"] == "member" and notification["unread"]
        await socket.close()
