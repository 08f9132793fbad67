"""Bad input over the socket: each frame gets an ``error`` message, the socket and its
subscriptions stay healthy, other sockets see nothing, and nothing saved changes."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from tests.badinput.conftest import World
from tests.factories import make_card
from tests.realtime.sockets import assert_silent, close, open_socket, receive
from tests.security.state import db_state

pytestmark = pytest.mark.django_db(transaction=True)

FRAMES = [
    pytest.param("{not json", id="malformed-json"),
    pytest.param('{"type": "ping"', id="truncated-json"),
    pytest.param("   ", id="whitespace-frame"),
    pytest.param('{"type": "subscribe", "board": NaN}', id="nan"),
    pytest.param("[" * 10_000 + "]" * 10_000, id="nested-arrays-10k"),
    pytest.param('{"a":' * 10_000 + "1" + "}" * 10_000, id="nested-objects-10k"),
    pytest.param(
        '{"type": "ping", "x": {"a": {"b": {"c": {"d": {"e": 1}}}}}}', id="nested-past-the-limit"
    ),
    pytest.param("[]", id="array-message"),
    pytest.param("null", id="null-message"),
    pytest.param('"subscribe"', id="string-message"),
    pytest.param("{}", id="no-type"),
    pytest.param('{"type": null}', id="type-as-null"),
    pytest.param('{"type": ["subscribe"]}', id="type-as-list"),
    pytest.param('{"type": "SUBSCRIBE", "board": @board@}', id="type-wrong-case"),
    pytest.param('{"type": "explode"}', id="unknown-type"),
    pytest.param('{"type": "\\ud800"}', id="lone-surrogate-type"),
    pytest.param('{"type": "ping\\u0000"}', id="null-byte-type"),
    pytest.param('{"type": "' + "x" * 10_000 + '"}', id="huge-type"),
    *(
        pytest.param('{"type": "subscribe", "board": ' + value + "}", id=f"board-as-{kind}")
        for kind, value in (
            ("string", '"@board@"'),
            ("float", "1.5"),
            ("integral-float", "@board@.0"),
            ("bool", "true"),
            ("null", "null"),
            ("list", "[@board@]"),
            ("object", '{"id": @board@}'),
            ("negative", "-1"),
            ("zero", "0"),
            ("beyond-bigint", "9223372036854775808"),
            ("huge", "1" + "0" * 100),
        )
    ),
    pytest.param('{"type": "subscribe"}', id="board-missing"),
    pytest.param('{"type": "subscribe", "board": 9223372036854775807}', id="board-unknown"),
    pytest.param('{"type": "subscribe", "board": @board@, "since": -1}', id="since-negative"),
    pytest.param('{"type": "subscribe", "board": @board@, "since": "0"}', id="since-as-string"),
    pytest.param('{"type": "subscribe", "board": @board@, "since": 1.5}', id="since-as-float"),
    pytest.param(
        '{"type": "presence", "board": @board@, "state": "dancing"}', id="presence-bad-state"
    ),
    pytest.param(
        '{"type": "presence", "board": @board@, "state": ["viewing"]}', id="presence-state-as-list"
    ),
    pytest.param(
        '{"type": "presence", "board": @board@, "card": "1"}', id="presence-card-as-string"
    ),
    pytest.param('{"type": "unsubscribe", "board": 424242}', id="unsubscribe-unknown"),
    pytest.param('{"type": "subscribe", "board": "1 OR 1=1"}', id="sql-looking-board"),
]


def _fill(frame: str, world: World) -> str:
    return frame.replace("@board@", str(world.team.board.pk))


@pytest.mark.parametrize("frame", FRAMES)
async def test_bad_frame_gets_an_error_and_changes_nothing(world: World, frame: str):
    watcher = await open_socket(world.team.owner, subscribe=world.team.board.pk)
    socket = await open_socket(world.team.member, subscribe=world.team.board.pk)
    before = await database_sync_to_async(db_state)()
    await socket.send_to(text_data=_fill(frame, world))
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] in ("bad_request", "not_found"), error
    assert isinstance(error["message"], str) and 0 < len(error["message"]) < 500
    await assert_silent(watcher, 0.2)
    assert await database_sync_to_async(db_state)() == before
    # The socket stays healthy and its subscription still delivers.
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    card = await database_sync_to_async(make_card)(world.team.owner, world.team.todo, "After")
    for each in (socket, watcher):
        event = await receive(each)
        assert event["type"] == "event" and event["data"]["id"] == card.pk
    await close(socket, watcher)


async def test_binary_frame_gets_an_error(world: World):
    socket = await open_socket(world.team.member)
    await socket.send_to(bytes_data=b"\x00\xff" * 10)
    error = await receive(socket)
    assert error["code"] == "bad_request" and "binary" in error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


async def test_oversized_frame_gets_an_error(world: World, settings):
    socket = await open_socket(world.team.member, subscribe=world.team.board.pk)
    await socket.send_to(
        text_data=json.dumps(
            {"type": "subscribe", "board": 1, "pad": "é" * settings.WS_MAX_MESSAGE_BYTES}
        )
    )
    error = await receive(socket)
    assert error["code"] == "bad_request" and "limited to" in error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)
