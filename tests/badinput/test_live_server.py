"""The worst inputs against a real Daphne process: it answers each, keeps serving, loses nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async

from tests.badinput.conftest import World
from tests.factories import make_token
from tests.security.state import db_state
from tests.servers import daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]

MIB = 1024 * 1024


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with daphne() as url:
        yield url


def _headers(user: Any) -> dict[str, str]:
    _, plaintext = make_token(user)
    return {"Authorization": f"Bearer {plaintext}", "Content-Type": "application/json"}


BODIES: list[tuple[str, bytes, int]] = [
    ("nested-10k", b"[" * 10_000 + b"]" * 10_000, 400),
    ("invalid-utf8", b'{"title": "\xff\xfe"}', 400),
    ("lone-surrogate", b'{"column": 1, "title": "\\ud800"}', 400),
    ("nan", b'{"column": NaN, "title": "x"}', 400),
    ("truncated", b'{"column": 1, "title": ', 400),
    ("over-1mib", b'{"title": "' + b"t" * (MIB + 1) + b'"}', 413),
]


def test_real_server_answers_every_bad_body_and_keeps_serving(world: World, server: str):
    headers = _headers(world.team.owner)
    before = db_state()
    for name, body, status in BODIES:
        response = requests.post(f"{server}/api/v1/cards/", data=body, headers=headers, timeout=30)
        assert response.status_code == status, (name, response.status_code, response.text[:200])
        assert set(response.json()) <= {"error", "message", "detail"}, name
    garbage = requests.patch(
        f"{server}/api/v1/cards/{world.card.pk}/",
        json={"title": "x"},
        headers={**headers, "If-Match": "garbage"},
        timeout=10,
    )
    assert garbage.status_code == 400
    assert db_state() == before
    card = requests.get(f"{server}/api/v1/cards/{world.card.pk}/", headers=headers, timeout=10)
    assert card.status_code == 200 and card.json()["title"] == "Saved card"


async def test_real_server_answers_bad_frames_and_keeps_the_socket(world: World, server: str):
    headers = await database_sync_to_async(_headers)(world.team.member)
    before = await database_sync_to_async(db_state)()
    response = await asyncio.to_thread(
        requests.post, f"{server}/api/v1/auth/ws-ticket/", headers=headers, timeout=10
    )
    url = server.replace("http://", "ws://") + f"/ws/?ticket={response.json()['ticket']}"
    frames = [
        "{not json",
        "[" * 10_000 + "]" * 10_000,
        '{"type": "subscribe", "board": "1"}',
        '{"type": "\\ud800"}',
        json.dumps({"type": "ping", "pad": "x" * 100_000}),
    ]
    async with websockets.connect(url) as socket:
        for frame in frames:
            await socket.send(frame)
            reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert reply["type"] == "error" and reply["code"] == "bad_request", (frame[:40], reply)
        await socket.send(b"\x00\x01")
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "error"
        await socket.send(json.dumps({"type": "subscribe", "board": world.team.board.pk}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "subscribed"
    assert await database_sync_to_async(db_state)() == before
