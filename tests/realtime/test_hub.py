"""The per-process hub: one layer subscription per board, one frame written to many sockets.

In-process tests look at the hub's memberships; the slow-socket test runs a real Daphne
(the transport writer) with a client that stops reading.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from collab.services.cards import card_create
from realtime import hub
from realtime.groups import board_group
from tests.factories import make_token
from tests.realtime.sockets import open_socket
from tests.servers import daphne

pytestmark = pytest.mark.django_db(transaction=True)


async def test_one_layer_subscription_per_board_for_many_sockets(team):
    sockets = [await open_socket(team.member, subscribe=team.board.pk) for _ in range(3)]
    local = hub.current()
    assert local is not None
    assert board_group(team.board.pk) in local.joined
    assert len(local.boards[team.board.pk]) == 3
    assert local.layer is get_channel_layer()
    assert {subscription.socket.hub for subscription in local.boards[team.board.pk]} == {local}
    for communicator in sockets:
        await communicator.disconnect()
    for _ in range(50):
        if board_group(team.board.pk) not in local.joined:
            break
        await asyncio.sleep(0.02)
    assert team.board.pk not in local.boards
    assert board_group(team.board.pk) not in local.joined


def _ticket_url(base: str, user: Any) -> str:
    _, plaintext = make_token(user)
    response = requests.post(
        f"{base}/api/v1/auth/ws-ticket/",
        headers={"Authorization": f"Bearer {plaintext}"},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    return base.replace("http://", "ws://") + f"/ws/?ticket={response.json()['ticket']}"


def _metric(base: str, name: str) -> float:
    text = requests.get(
        f"{base}/metrics", headers={"Authorization": "Bearer hub-test"}, timeout=10
    ).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _events(client: Any, count: int, timeout: float) -> list[int]:
    seqs: list[int] = []
    deadline = time.monotonic() + timeout
    while len(seqs) < count:
        message = json.loads(await asyncio.wait_for(client.recv(), deadline - time.monotonic()))
        if message["type"] == "event":
            seqs.append(message["seq"])
    return seqs


def _write_cards(team: Any, count: int) -> None:
    description = "x" * 40_000  # a large frame fills a socket's buffers fast
    for number in range(count):
        card_create(
            actor=team.owner, column_id=team.todo.pk, title=f"big {number}", description=description
        )


@pytest.mark.multiprocess
async def test_a_slow_socket_neither_stalls_the_others_nor_loses_events(team):
    writes = 60
    with daphne(WS_SEND_BUFFER_BYTES="16384", METRICS_TOKEN="hub-test") as base:
        fast_url = await database_sync_to_async(_ticket_url)(base, team.member)
        slow_url = await database_sync_to_async(_ticket_url)(base, team.member)
        fast = await websockets.connect(fast_url, max_size=None, open_timeout=10)
        # A tiny receive buffer and a one-message queue: once this client stops reading,
        # the server's send buffer for it grows past WS_SEND_BUFFER_BYTES.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", int(base.rsplit(":", 1)[1])))
        raw.setblocking(False)
        slow = await websockets.connect(slow_url, sock=raw, max_size=None, max_queue=1)
        for client in (fast, slow):
            await client.send(json.dumps({"type": "subscribe", "board": team.board.pk}))
            subscribed = json.loads(await asyncio.wait_for(client.recv(), 10))
            assert subscribed["type"] == "subscribed"
            head = subscribed["seq"]

        writer = asyncio.ensure_future(database_sync_to_async(_write_cards)(team, writes))
        # The fast socket gets every event while the slow one reads nothing.
        assert await _events(fast, writes, timeout=60) == list(range(head + 1, head + writes + 1))
        await writer
        assert await asyncio.to_thread(_metric, base, "corkboard_ws_slow_sockets_total") >= 1
        # The slow socket, reading again, is caught up from the Event table: every seq
        # once, in order.
        assert await _events(slow, writes, timeout=60) == list(range(head + 1, head + writes + 1))
        await fast.close()
        await slow.close()


async def _presence(communicator: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await communicator.receive_from(timeout=3))
        if message["type"] == "presence":
            return message


async def test_presence_is_written_once_per_change_not_per_socket_beat(team):
    first = await open_socket(team.member, subscribe=team.board.pk)
    second = await open_socket(team.owner, subscribe=team.board.pk)
    await _presence(first)
    await _presence(second)  # each subscriber is sent the board's presence once
    await first.send_json_to({"type": "presence", "board": team.board.pk, "state": "viewing"})
    seen = await _presence(second)
    assert [m["user"]["username"] for m in seen["members"]] == [team.member.username]
    local = hub.current()
    assert local is not None
    # A beat with nothing changed writes no frame.
    await local.refresh_presence()
    assert await second.receive_nothing(timeout=0.2)
    await first.disconnect()
    gone = await _presence(second)
    assert gone["members"] == []
    await second.disconnect()


async def test_sockets_subscribing_at_once_share_one_presence_read(monkeypatch):
    local = await hub.get()
    reads = 0

    class Store:
        async def entries(self, board_id: int) -> list[dict[str, Any]]:
            nonlocal reads
            reads += 1
            await asyncio.sleep(0.05)  # the round trip, while others subscribe
            return []

    monkeypatch.setattr(hub.presence, "store", lambda: Store())
    frames = await asyncio.gather(*(local.presence_frame(424242) for _ in range(50)))
    assert reads == 1
    assert {json.loads(frame)["members"] == [] for frame in frames} == {True}
    await local.presence_frame(424242, fresh=True)  # a change always reads
    assert reads == 2
