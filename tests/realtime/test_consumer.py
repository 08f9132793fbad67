"""The /ws/ consumer on the real ASGI app, with channels-redis on the real Redis."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.tickets import ticket_issue
from collab.models import Event
from collab.services.cards import card_create, card_move, card_update
from collab.services.workspaces import member_remove
from project.asgi import application
from tests.conftest import client_for
from tests.realtime.sockets import assert_silent, close, open_socket, receive, receive_events

pytestmark = pytest.mark.django_db(transaction=True)

create_card = database_sync_to_async(card_create)


async def test_two_clients_see_each_others_rest_writes(team):
    alice = await open_socket(team.member, subscribe=team.board.pk)
    bob = await open_socket(team.viewer, subscribe=team.board.pk)
    client: APIClient = await database_sync_to_async(client_for)(team.member)
    response = await database_sync_to_async(client.post)(
        "/api/v1/cards/", {"column": team.todo.pk, "title": "Ship it"}, format="json"
    )
    assert response.status_code == 201, response.content
    card = response.json()
    for socket in (alice, bob):
        (event,) = await receive_events(socket, 1)
        assert event["event"] == "card.created"
        assert event["data"] == card  # byte for byte what the REST API returned
        assert event["actor"] == {"id": team.member.pk, "username": "member"}
        assert event["board"] == team.board.pk
    await close(alice, bob)


async def test_events_arrive_in_seq_order_while_they_happen(team):
    socket = await open_socket(team.member, subscribe=team.board.pk)
    card = await create_card(actor=team.member, column_id=team.todo.pk, title="A")
    await database_sync_to_async(card_move)(
        actor=team.member, card_id=card.pk, column_id=team.done.pk
    )
    await database_sync_to_async(card_update)(actor=team.member, card_id=card.pk, title="B")
    events = await receive_events(socket, 3)
    assert [e["event"] for e in events] == ["card.created", "card.moved", "card.updated"]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    await close(socket)


async def test_reconnect_with_since_receives_exactly_the_missed_events(team):
    socket = await open_socket(team.member, subscribe=team.board.pk)
    await create_card(actor=team.member, column_id=team.todo.pk, title="seen")
    (seen,) = await receive_events(socket, 1)
    await close(socket)

    for title in ("missed 1", "missed 2", "missed 3"):
        await create_card(actor=team.owner, column_id=team.todo.pk, title=title)

    socket = await open_socket(team.member)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk, "since": seen["seq"]})
    subscribed = await receive(socket)
    assert subscribed == {"type": "subscribed", "board": team.board.pk, "seq": seen["seq"] + 3}
    missed = await receive_events(socket, 3)
    assert [e["seq"] for e in missed] == [seen["seq"] + 1, seen["seq"] + 2, seen["seq"] + 3]
    assert [e["data"]["title"] for e in missed] == ["missed 1", "missed 2", "missed 3"]
    # Then live ones, with no duplicate of the replay.
    await create_card(actor=team.owner, column_id=team.todo.pk, title="live")
    (live,) = await receive_events(socket, 1)
    assert live["seq"] == seen["seq"] + 4
    await assert_silent(socket)
    await close(socket)


async def test_writes_racing_a_resubscribe_are_neither_lost_nor_duplicated(team):
    start = await database_sync_to_async(
        lambda: team.board.__class__.objects.get(pk=team.board.pk).seq
    )()
    total = 30
    done = threading.Event()

    def writer() -> None:
        from django.db import connection

        try:
            for i in range(total):
                card_create(actor=team.owner, column_id=team.todo.pk, title=f"race {i}")
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    await asyncio.sleep(0.05)
    socket = await open_socket(team.member, subscribe=team.board.pk, since=start)
    seqs = [e["seq"] for e in await receive_events(socket, total, timeout=10)]
    thread.join()
    assert seqs == list(range(start + 1, start + total + 1))
    await assert_silent(socket)
    await close(socket)


async def test_since_older_than_retention_gets_resync(team):
    for i in range(3):
        await create_card(actor=team.owner, column_id=team.todo.pk, title=f"old {i}")
    await database_sync_to_async(
        lambda: Event.objects.filter(board=team.board, seq__lte=3).delete()
    )()
    socket = await open_socket(team.member)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk, "since": 1})
    assert (await receive(socket))["type"] == "subscribed"
    assert await receive(socket) == {"type": "resync", "board": team.board.pk}
    # Live events still flow after a resync.
    await create_card(actor=team.owner, column_id=team.todo.pk, title="new")
    (event,) = await receive_events(socket, 1)
    assert event["data"]["title"] == "new"
    await close(socket)


async def test_since_ahead_of_the_board_gets_resync(team):
    socket = await open_socket(team.member)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk, "since": 10_000})
    assert (await receive(socket))["type"] == "subscribed"
    assert (await receive(socket))["type"] == "resync"
    await close(socket)


async def test_unsubscribe_stops_events(team):
    socket = await open_socket(team.member, subscribe=team.board.pk)
    await socket.send_json_to({"type": "unsubscribe", "board": team.board.pk})
    await create_card(actor=team.owner, column_id=team.todo.pk, title="unseen")
    await assert_silent(socket, 0.5)
    await close(socket)


async def test_non_member_cannot_subscribe(team):
    socket = await open_socket(team.outsider)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] == "not_found"
    await create_card(actor=team.owner, column_id=team.todo.pk, title="secret")
    await assert_silent(socket, 0.5)
    await close(socket)


async def test_removed_member_stops_receiving_at_once(team):
    socket = await open_socket(team.member, subscribe=team.board.pk)
    await database_sync_to_async(member_remove)(
        actor=team.owner, workspace_id=team.workspace.pk, user_id=team.member.pk
    )
    (removed,) = await receive_events(socket, 1)
    assert removed["event"] == "member.removed"
    error = await receive(socket)
    assert error["code"] == "forbidden" and error["board"] == team.board.pk
    await create_card(actor=team.owner, column_id=team.todo.pk, title="after removal")
    await assert_silent(socket, 0.5)
    await close(socket)


async def test_anonymous_socket_is_refused(team):
    socket = WebsocketCommunicator(application, "/ws/", headers=[(b"origin", b"http://localhost")])
    connected, _ = await socket.connect()
    assert not connected


async def test_unknown_or_spent_ticket_is_refused(team):
    socket = WebsocketCommunicator(application, "/ws/?ticket=not-a-ticket")
    assert not (await socket.connect())[0]
    ticket = await database_sync_to_async(ticket_issue)(team.member.pk)
    first = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert (await first.connect())[0]
    second = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert not (await second.connect())[0]
    await first.disconnect()


async def _session_cookie(user) -> bytes:
    client = APIClient()
    await database_sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"http://localhost", True),
        (b"http://evil.example", False),
        (b"http://localhost:8080", False),  # same host, other port
        (b"https://localhost", False),  # same host, other scheme
        (b"null", False),
        (None, False),
    ],
)
async def test_cookie_socket_requires_the_exact_origin(team, origin, accepted):
    headers = [(b"host", b"localhost"), (b"cookie", await _session_cookie(team.member))]
    if origin is not None:
        headers.append((b"origin", origin))
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await socket.connect()
    assert connected is accepted
    if connected:
        await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
        assert (await receive(socket))["type"] == "subscribed"
        await socket.disconnect()


async def test_ticket_socket_ignores_cookies(team):
    """A ticket for the outsider with the member's cookie attached is still the outsider."""
    ticket = await database_sync_to_async(ticket_issue)(team.outsider.pk)
    headers = [(b"cookie", await _session_cookie(team.member)), (b"origin", b"http://evil.example")]
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=headers)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    assert (await receive(socket))["code"] == "not_found"
    await socket.disconnect()


async def test_suspended_users_sockets_close_within_a_second(team):
    from django.contrib.auth.models import Permission

    from collab.services.users import user_set_active

    def make_moderator():
        team.owner.user_permissions.add(Permission.objects.get(codename="moderate"))
        return type(team.owner).objects.get(pk=team.owner.pk)

    moderator = await database_sync_to_async(make_moderator)()
    sockets = [await open_socket(team.member, subscribe=team.board.pk) for _ in range(2)]
    await database_sync_to_async(user_set_active)(
        actor=moderator, user_id=team.member.pk, active=False
    )
    for socket in sockets:
        output = await socket.receive_output(timeout=1)
        while output["type"] == "websocket.send":
            output = await socket.receive_output(timeout=1)
        assert output == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('"subscribe"', "JSON object"),
        ("{}", "'type'"),
        ('{"type": 7}', "'type'"),
        ('{"type": "explode"}', "Unknown message type"),
        ('{"type": "board.event", "board": 1, "seq": 1, "frame": "{}"}', "Unknown message type"),
        ('{"type": "subscribe"}', "'board'"),
        ('{"type": "subscribe", "board": "1"}', "'board'"),
        ('{"type": "subscribe", "board": true}', "'board'"),
        ('{"type": "subscribe", "board": -3}', "'board'"),
        ('{"type": "subscribe", "board": 1.5}', "'board'"),
        ('{"type": "subscribe", "board": 99999999999999999999999}', "'board'"),
        ('{"type": "subscribe", "board": 1, "since": -1}', "'since'"),
        ('{"type": "subscribe", "board": 1, "since": "0"}', "'since'"),
        ('{"type": "unsubscribe", "board": 424242}', "Not subscribed"),
        ('{"type": "presence", "board": 424242}', "Subscribe to the board"),
        ('{"type": "presence", "board": 1, "state": "dancing"}', "'state'"),
        ('{"type": "ping", "x": {"a": {"b": {"c": {"d": {"e": 1}}}}}}', "nested too deeply"),
        ("[" * 100_00 + "]" * 100_00, "not valid JSON"),
    ],
)
async def test_bad_input_gets_an_error_and_the_socket_stays_healthy(team, frame, fragment):
    socket = await open_socket(team.member)
    await socket.send_to(text_data=frame)
    error = await receive(socket)
    assert error["type"] == "error" and error["code"] == "bad_request", error
    assert fragment in error["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


async def test_binary_and_oversized_frames_get_errors(team, settings):
    socket = await open_socket(team.member)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert "binary" in (await receive(socket))["message"]
    await socket.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 70_000}))
    assert "limited to" in (await receive(socket))["message"]
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


async def test_too_many_messages_get_rate_limited(team, settings):
    settings.WS_RATE_PER_SECOND = 1
    settings.WS_RATE_BURST = 5
    socket = await open_socket(team.member)
    for _ in range(8):
        await socket.send_json_to({"type": "ping"})
    replies = [await receive(socket) for _ in range(8)]
    assert replies[:5] == [{"type": "pong"}] * 5
    assert {r.get("code") for r in replies[5:]} == {"rate_limited"}
    await close(socket)


async def test_too_many_subscriptions_are_refused(team, settings):
    settings.WS_MAX_SUBSCRIPTIONS = 1
    other = await database_sync_to_async(
        lambda: __import__("tests.factories", fromlist=["make_board"]).make_board(
            team.owner, team.workspace, "Other"
        )
    )()
    socket = await open_socket(team.member, subscribe=team.board.pk)
    await socket.send_json_to({"type": "subscribe", "board": other.pk})
    error = await receive(socket)
    assert error["code"] == "bad_request" and "At most 1" in error["message"]
    await close(socket)


async def test_presence_is_shared_and_cleared_on_disconnect(team):
    alice = await open_socket(team.member, subscribe=team.board.pk)
    bob = await open_socket(team.viewer, subscribe=team.board.pk)
    card = await create_card(actor=team.member, column_id=team.todo.pk, title="Look")
    await receive_events(alice, 1)
    await receive_events(bob, 1)
    await alice.send_json_to(
        {"type": "presence", "board": team.board.pk, "card": card.pk, "state": "editing"}
    )

    async def presence_of(socket, predicate):
        while True:
            message = json.loads(await socket.receive_from(timeout=3))
            if message["type"] == "presence" and predicate(message["members"]):
                return message["members"]

    members = await presence_of(bob, lambda m: any(x["user"]["username"] == "member" for x in m))
    assert {
        "user": {"id": team.member.pk, "username": "member"},
        "card": card.pk,
        "state": "editing",
    } in members
    await alice.disconnect()
    members = await presence_of(bob, lambda m: all(x["user"]["username"] != "member" for x in m))
    assert members == [] or all(x["user"]["username"] != "member" for x in members)
    await close(bob)


async def test_client_cannot_inject_layer_messages(team):
    """A client-supplied type such as 'user.disconnect' never reaches a handler."""
    socket = await open_socket(team.member, subscribe=team.board.pk)
    await socket.send_json_to({"type": "user.disconnect"})
    assert (await receive(socket))["code"] == "bad_request"
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await close(socket)


@pytest.mark.parametrize("where", ["other-board", "other-workspace", "missing"])
async def test_presence_refuses_a_card_that_is_not_on_the_board(team, where):
    """Defect 9: presence names only cards of the board; nothing else is broadcast."""

    def foreign_card() -> int:
        from tests.factories import make_board, make_card, make_column, make_workspace

        if where == "missing":
            return 987654321
        if where == "other-board":
            board = make_board(team.owner, team.workspace, title="Other")
        else:
            board = make_board(team.outsider, make_workspace(team.outsider, "Theirs"))
        owner = team.owner if where == "other-board" else team.outsider
        return make_card(owner, make_column(owner, board)).pk

    card = await database_sync_to_async(foreign_card)()
    alice = await open_socket(team.member, subscribe=team.board.pk)
    bob = await open_socket(team.viewer, subscribe=team.board.pk)
    await alice.send_json_to(
        {"type": "presence", "board": team.board.pk, "card": card, "state": "editing"}
    )
    error = await receive(alice)
    assert error["type"] == "error" and error["code"] == "not_found", error
    assert error["board"] == team.board.pk
    # Nobody hears of the card: bob receives no presence naming it.
    while not await bob.receive_nothing(timeout=0.5):
        message = json.loads(await bob.receive_from())
        assert message["type"] == "presence", message
        assert all(member["card"] != card for member in message["members"]), message
    # A card of the board is still accepted.
    own = await create_card(actor=team.member, column_id=team.todo.pk, title="Mine")
    await receive_events(alice, 1)
    await alice.send_json_to({"type": "presence", "board": team.board.pk, "card": own.pk})
    message = json.loads(await alice.receive_from(timeout=3))
    while message["type"] != "presence" or not message["members"]:
        message = json.loads(await alice.receive_from(timeout=3))
    assert message["members"][0]["card"] == own.pk
    await close(alice, bob)
