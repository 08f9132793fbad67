"""Privilege escalation across workspaces over the socket: every message naming a board.

An outsider who sends a rival board's id in ``subscribe``, ``presence`` or
``unsubscribe`` gets an ``error`` and never receives a frame of that board.
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from tests.factories import make_card
from tests.realtime.sockets import assert_silent, close, open_socket, receive

pytestmark = pytest.mark.django_db(transaction=True)


async def test_subscribing_to_another_workspaces_board_is_refused_and_receives_nothing(team, rival):
    socket = await open_socket(team.owner)
    await socket.send_json_to({"type": "subscribe", "board": rival.board.pk, "since": 0})
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] == "not_found", error
    # Neither the replay from seq 0 nor a live write of the rival reaches the socket.
    await database_sync_to_async(make_card)(rival.owner, rival.column, "Live secret")
    await assert_silent(socket, 0.5)
    await close(socket)


async def test_presence_on_another_workspaces_board_is_refused_and_not_broadcast(team, rival):
    watcher = await open_socket(rival.member, subscribe=rival.board.pk)
    socket = await open_socket(team.owner)
    await socket.send_json_to(
        {"type": "presence", "board": rival.board.pk, "card": rival.card.pk, "state": "editing"}
    )
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] == "bad_request", error
    # The rival's members see no presence of the attacker.
    while not await watcher.receive_nothing(timeout=0.5):
        message = json.loads(await watcher.receive_from())
        assert "owner" not in json.dumps(message), message
    await close(socket, watcher)


async def test_unsubscribing_from_another_workspaces_board_is_refused(team, rival):
    socket = await open_socket(team.owner)
    await socket.send_json_to({"type": "unsubscribe", "board": rival.board.pk})
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] == "bad_request", error
    await database_sync_to_async(make_card)(rival.owner, rival.column, "Live secret")
    await assert_silent(socket, 0.5)
    await close(socket)


async def test_subscription_after_refusal_to_own_board_still_only_delivers_own_events(team, rival):
    """A refused subscribe leaves no half-joined group behind."""
    socket = await open_socket(team.owner)
    await socket.send_json_to({"type": "subscribe", "board": rival.board.pk})
    assert (await receive(socket))["code"] == "not_found"
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    assert (await receive(socket))["type"] == "subscribed"
    await database_sync_to_async(make_card)(rival.owner, rival.column, "Live secret")
    await database_sync_to_async(make_card)(team.owner, team.todo, "Own news")
    event = await receive(socket)
    assert event["type"] == "event" and event["board"] == team.board.pk
    assert event["data"]["title"] == "Own news"
    await assert_silent(socket, 0.3)
    await close(socket)
