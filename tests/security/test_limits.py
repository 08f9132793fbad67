"""Resource limits against denial of service, and layer-message injection over the socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async

from tests.api.conftest import assert_error
from tests.factories import make_board, make_card, make_token
from tests.realtime.sockets import assert_silent, close, open_socket, receive
from tests.security.state import db_state
from tests.servers import daphne

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"
MIB = 1024 * 1024


@pytest.fixture
def server(team) -> Iterator[str]:
    with daphne() as url:
        yield url


def _headers(user) -> dict[str, str]:
    _, plaintext = make_token(user)
    return {"Authorization": f"Bearer {plaintext}", "Content-Type": "application/json"}


def test_request_body_size_limited(team, server):
    """A body over MAX_REQUEST_BODY_BYTES is refused with 413 by the real server, which stays up."""
    headers = _headers(team.owner)
    before = db_state()
    body = json.dumps({"column": team.todo.pk, "title": "x", "description": "d" * (MIB + 10)})
    response = requests.post(f"{server}{API}/cards/", data=body, headers=headers, timeout=30)
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    assert db_state() == before
    ok = requests.get(f"{server}{API}/me/", headers=headers, timeout=10)
    assert ok.status_code == 200


def test_request_body_size_limited_by_declared_length(team):
    """A Content-Length over the limit is refused before the body is read."""
    from tests.security.conftest import bearer

    client = bearer(team.owner)
    response = client.generic(
        "POST",
        f"{API}/workspaces/",
        '{"name": "x"}',
        content_type="application/json",
        CONTENT_LENGTH=str(50 * MIB),
    )
    assert_error(response, 413, "payload_too_large")


async def test_websocket_frame_size_limited(team, server):
    """Daphne drops a socket that sends a frame over 1 MiB before the app buffers it."""
    headers = await database_sync_to_async(_headers)(team.member)
    ticket = (
        await asyncio.to_thread(
            requests.post, f"{server}{API}/auth/ws-ticket/", headers=headers, timeout=10
        )
    ).json()["ticket"]
    url = server.replace("http://", "ws://") + f"/ws/?ticket={ticket}"
    async with websockets.connect(url, max_size=None) as socket:
        await socket.send(json.dumps({"type": "ping", "pad": "x" * (2 * MIB)}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            for _ in range(5):
                await asyncio.wait_for(socket.recv(), 5)
        # Autobahn fails the connection (1009, or a dropped TCP stream mid-frame).
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1009
    # The server is up and serves the next client.
    ticket = (
        await asyncio.to_thread(
            requests.post, f"{server}{API}/auth/ws-ticket/", headers=headers, timeout=10
        )
    ).json()["ticket"]
    async with websockets.connect(
        server.replace("http://", "ws://") + f"/ws/?ticket={ticket}"
    ) as socket:
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "pong"}


async def test_websocket_message_size_limited(team, settings):
    """Messages under Daphne's frame cap but over WS_MAX_MESSAGE_BYTES get an error."""
    socket = await open_socket(team.member)
    await socket.send_to(
        text_data=json.dumps({"type": "ping", "pad": "x" * (settings.WS_MAX_MESSAGE_BYTES + 1)})
    )
    error = await receive(socket)
    assert error["type"] == "error" and "limited to" in error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


async def test_websocket_message_rate_limited(team, settings):
    settings.WS_RATE_PER_SECOND = 2
    settings.WS_RATE_BURST = 4
    socket = await open_socket(team.member)
    for _ in range(10):
        await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    replies = []
    while len([r for r in replies if r["type"] in ("subscribed", "error")]) < 10:
        replies.append(await receive(socket))
    answers = [r for r in replies if r["type"] in ("subscribed", "error")]
    assert [r["type"] for r in answers[:4]] == ["subscribed"] * 4
    assert {r.get("code") for r in answers[4:]} == {"rate_limited"}
    # The bucket refills: a patient client is served again.
    await asyncio.sleep(0.6)
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


async def test_subscriptions_per_socket_limited(team, settings):
    settings.WS_MAX_SUBSCRIPTIONS = 3

    def boards() -> list[int]:
        return [make_board(team.owner, team.workspace, f"B{i}").pk for i in range(4)]

    board_ids = await database_sync_to_async(boards)()
    socket = await open_socket(team.member)
    for board_id in board_ids[:3]:
        await socket.send_json_to({"type": "subscribe", "board": board_id})
        assert (await receive(socket))["type"] == "subscribed"
    await socket.send_json_to({"type": "subscribe", "board": board_ids[3]})
    error = await receive(socket)
    assert error["code"] == "bad_request" and "At most 3" in error["message"]
    # Leaving one makes room.
    await socket.send_json_to({"type": "unsubscribe", "board": board_ids[0]})
    await socket.send_json_to({"type": "subscribe", "board": board_ids[3]})
    assert (await receive(socket))["type"] == "subscribed"
    await close(socket)


LAYER_TYPES: list[dict[str, Any]] = [
    {
        "type": "board.event",
        "board": "{board}",
        "seq": 999,
        "event": "card.deleted",
        "frame": '{"type":"event","forged":true}',
    },
    {"type": "board_event", "board": "{board}", "seq": 999, "frame": '{"forged":true}'},
    {"type": "presence.changed", "board": "{board}", "frame": '{"type":"presence","forged":true}'},
    {"type": "user.disconnect"},
    {"type": "user_disconnect"},
    {"type": "websocket.close"},
    {"type": "websocket.disconnect", "code": 1000},
    {"type": "websocket.send", "text": '{"forged":true}'},
]


@pytest.mark.parametrize("message", LAYER_TYPES, ids=[m["type"] for m in LAYER_TYPES])
async def test_client_supplied_type_never_reaches_layer(team, message):
    """A client's ``type`` is never dispatched to a handler nor sent to a group."""
    victim = await open_socket(team.owner, subscribe=team.board.pk)
    attacker = await open_socket(team.member, subscribe=team.board.pk)
    payload = {k: team.board.pk if v == "{board}" else v for k, v in message.items()}
    await attacker.send_json_to(payload)
    error = await receive(attacker)
    assert error["type"] == "error" and error["code"] == "bad_request"
    await assert_silent(victim, 0.3)
    # Both sockets are still open and the board's real events still flow in order.
    card = await database_sync_to_async(make_card)(team.owner, team.todo, "Real")
    for socket in (victim, attacker):
        event = await receive(socket)
        assert event["type"] == "event" and event["data"]["id"] == card.pk
        assert "forged" not in json.dumps(event)
    await close(victim, attacker)


async def test_client_cannot_address_another_users_group(team):
    """Even a well-formed message cannot name a group: nothing a client sends is relayed."""
    victim = await open_socket(team.owner)
    attacker = await open_socket(team.member)
    await attacker.send_json_to(
        {"type": "ping", "group": f"user-{team.owner.pk}", "text": "user.disconnect"}
    )
    assert await receive(attacker) == {"type": "pong"}
    await assert_silent(victim, 0.3)
    await victim.send_json_to({"type": "ping"})
    assert await receive(victim) == {"type": "pong"}
    await close(victim, attacker)
