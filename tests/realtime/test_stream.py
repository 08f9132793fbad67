"""The event stream (server-sent events) on the real ASGI app, with the real Redis."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from collab.models import Board, Event
from collab.services.cards import card_create
from collab.services.tokens import token_revoke
from collab.services.users import user_set_active
from collab.services.workspaces import member_remove
from tests.factories import make_token
from tests.realtime.sse import Stream

pytestmark = pytest.mark.django_db(transaction=True)

create_card = database_sync_to_async(card_create)


async def _bearer(user: Any, scopes: tuple[str, ...] = ("read",)) -> dict[str, str]:
    _, plaintext = await database_sync_to_async(make_token)(user, scopes)
    return {"Authorization": f"Bearer {plaintext}"}


def _url(board: Any, query: str = "") -> str:
    return f"/api/v1/boards/{board.pk}/stream/{query}"


async def _head(board: Any) -> int:
    return await database_sync_to_async(lambda: Board.objects.get(pk=board.pk).seq)()


async def _cards(team: Any, *titles: str) -> None:
    for title in titles:
        await create_card(actor=team.owner, column_id=team.todo.pk, title=title)


async def _open(team: Any, query: str = "", headers: dict[str, str] | None = None) -> Stream:
    stream = await Stream(_url(team.board, query), headers or await _bearer(team.viewer)).open()
    assert stream.status == 200
    assert (await stream.next()).fields == {"retry": "3000"}
    return stream


async def test_a_token_opens_the_stream_with_the_sse_headers(team):
    stream = await Stream(_url(team.board), await _bearer(team.viewer)).open()
    assert stream.status == 200
    assert stream.headers["content-type"] == "text/event-stream"
    assert stream.headers["cache-control"] == "no-store"
    assert stream.headers["x-accel-buffering"] == "no"
    assert (await stream.next()).fields == {"retry": "3000"}
    await _cards(team, "live")
    (block,) = await stream.events(1)
    event = await database_sync_to_async(lambda: Event.objects.get(seq=block.id))()
    assert block.event == "card.created" == event.event
    assert block.data["seq"] == block.id
    assert set(block.data) == {"board", "seq", "event", "data", "actor", "ts"}
    await stream.close()


async def test_data_is_the_event_as_the_rest_events_api_returns_it(team):
    start = await _head(team.board)
    await _cards(team, "one")
    stream = await _open(team, f"?since={start}")
    (block,) = await stream.events(1)
    client = await database_sync_to_async(Client)()
    await database_sync_to_async(client.force_login)(team.viewer)
    response = await database_sync_to_async(client.get)(
        f"/api/v1/boards/{team.board.pk}/events/?after={start}"
    )
    assert block.data == response.json()["results"][0]
    await stream.close()


async def test_a_session_cookie_opens_the_stream(team):
    client = await database_sync_to_async(Client)()
    await database_sync_to_async(client.force_login)(team.member)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    stream = await _open(team, headers={"Cookie": cookie})
    await _cards(team, "live")
    assert (await stream.events(1))[0].event == "card.created"
    await stream.close()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cbp_nope"},
        {"Authorization": "Bearer"},
        {"Cookie": "sessionid=x"},
    ],
)
async def test_no_or_a_bad_credential_is_a_401_in_the_api_error_shape(team, headers):
    stream = await Stream(_url(team.board), headers).open()
    assert stream.status == 401
    assert stream.headers["content-type"] == "application/json"
    body = await stream.json()
    assert body["error"] == "not_authenticated" and body["message"]


async def test_an_outsider_or_a_missing_board_is_a_404(team):
    headers = await _bearer(team.outsider)
    for path in (_url(team.board), "/api/v1/boards/999999/stream/"):
        stream = await Stream(path, headers).open()
        assert stream.status == 404
        assert await stream.json() == {"error": "not_found", "message": "Board not found."}


async def test_a_token_without_the_read_scope_is_a_403(team):
    stream = await Stream(_url(team.board), await _bearer(team.member, ("write",))).open()
    assert stream.status == 403
    assert (await stream.json())["error"] == "insufficient_scope"


@pytest.mark.parametrize(
    ("query", "headers", "field"),
    [
        ("?since=abc", {}, "since"),
        ("?since=-1", {}, "since"),
        ("?since=", {}, "since"),
        ("?since=1", {"Last-Event-ID": "x1"}, "Last-Event-ID"),
    ],
)
async def test_a_bad_since_or_last_event_id_is_a_400(team, query, headers, field):
    stream = await Stream(_url(team.board, query), {**await _bearer(team.viewer), **headers}).open()
    assert stream.status == 400
    body = await stream.json()
    assert body["error"] == "invalid" and list(body["detail"]) == [field]


async def test_anything_but_get_is_a_405(team):
    stream = await Stream(_url(team.board), await _bearer(team.viewer), method="POST").open()
    assert stream.status == 405
    assert stream.headers["allow"] == "GET"
    assert (await stream.json())["error"] == "method_not_allowed"


async def test_replay_from_since_then_live_without_duplicates(team):
    start = await _head(team.board)
    await _cards(team, "a", "b", "c")
    stream = await _open(team, f"?since={start + 1}")
    replayed = await stream.events(2)
    assert [b.id for b in replayed] == [start + 2, start + 3]
    assert [b.data["data"]["title"] for b in replayed] == ["b", "c"]
    await _cards(team, "live")
    (live,) = await stream.events(1)
    assert live.id == start + 4
    await stream.quiet()
    await stream.close()


async def test_last_event_id_resumes_and_wins_over_since(team):
    start = await _head(team.board)
    await _cards(team, "a", "b", "c")
    headers = {**await _bearer(team.viewer), "Last-Event-ID": str(start + 2)}
    stream = await _open(team, "?since=0", headers)
    (replayed,) = await stream.events(1)
    assert replayed.id == start + 3
    await stream.quiet()
    await stream.close()


async def test_writes_racing_the_open_are_neither_lost_nor_duplicated(team):
    start = await _head(team.board)
    total = 30

    def writer() -> None:
        from django.db import connection

        try:
            for i in range(total):
                card_create(actor=team.owner, column_id=team.todo.pk, title=f"race {i}")
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    await asyncio.sleep(0.05)
    stream = await _open(team, f"?since={start}")
    seqs = [b.id for b in await stream.events(total, timeout=10)]
    thread.join()
    assert seqs == list(range(start + 1, start + total + 1))
    await stream.quiet()
    await stream.close()


async def test_a_since_older_than_the_replay_window_gets_resync_then_live(team, settings):
    settings.EVENT_REPLAY_LIMIT = 2
    start = await _head(team.board)
    await _cards(team, "a", "b", "c")
    stream = await _open(team, f"?since={start}")
    (resync,) = await stream.events(1)
    assert resync.event == "resync"
    assert resync.id == start + 3
    assert resync.data == {"board": team.board.pk, "head": start + 3}
    await _cards(team, "live")
    (live,) = await stream.events(1)
    assert (live.event, live.id) == ("card.created", start + 4)
    await stream.close()


async def test_heartbeat_comments_arrive_every_sse_heartbeat_seconds(team, settings):
    settings.SSE_HEARTBEAT_SECONDS = 0.2
    stream = await _open(team)
    for _ in range(2):
        assert (await stream.next(timeout=2)).fields == {"comment": "ping"}
    await stream.close()


async def test_suspension_ends_the_stream(team):
    from django.contrib.auth.models import Permission

    def make_moderator() -> Any:
        team.owner.user_permissions.add(Permission.objects.get(codename="moderate"))
        return type(team.owner).objects.get(pk=team.owner.pk)

    moderator = await database_sync_to_async(make_moderator)()
    stream = await _open(team, headers=await _bearer(team.member))
    await database_sync_to_async(user_set_active)(
        actor=moderator, user_id=team.member.pk, active=False
    )
    (last,) = await stream.until_end(timeout=2)
    assert last.event == "error" and last.data["error"] == "suspended"
    await stream.app.wait(timeout=2)


async def test_losing_membership_ends_the_stream_after_the_event(team):
    stream = await _open(team, headers=await _bearer(team.member))
    await database_sync_to_async(member_remove)(
        actor=team.owner, workspace_id=team.workspace.pk, user_id=team.member.pk
    )
    blocks = [b for b in await stream.until_end(timeout=2) if "comment" not in b.fields]
    assert [b.event for b in blocks] == ["member.removed", "error"]
    assert blocks[1].data["error"] == "forbidden"
    await stream.app.wait(timeout=2)


async def test_revoking_the_token_ends_the_stream(team):
    token, plaintext = await database_sync_to_async(make_token)(team.member, ("read",))
    stream = await _open(team, headers={"Authorization": f"Bearer {plaintext}"})
    await database_sync_to_async(token_revoke)(actor=team.member, token_id=token.pk)
    (last,) = await stream.until_end(timeout=2)
    assert last.event == "error" and last.data["error"] == "credential_ended"
    await stream.app.wait(timeout=2)


async def test_other_routes_still_reach_django(team):
    # /healthz touches no database: a Django request thread here would keep a connection.
    stream = await Stream("/healthz").open()
    assert stream.status == 200
    await stream.json()
