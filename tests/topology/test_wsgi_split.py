"""The WSGI split: nginx sends /ws/ to Daphne and every other request to gunicorn.

The same API answers either way (compared with Daphne's own answers), writes answered by
gunicorn reach sockets held by Daphne in seq order, a browser signs in over the split
and goes live, the request log, readiness and metrics work under WSGI, and with gunicorn
down nginx answers in JSON while the open sockets stay up.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
import websockets
from playwright.sync_api import BrowserContext, expect

from tests.conftest import Team
from tests.e2e.pages import BoardPage, log_in
from tests.factories import PASSWORD
from tests.servers import AppServer
from tests.topology.clients import (
    Followers,
    assert_every_seq_once,
    bearer,
    head_seq,
    run_async,
    wait_for,
)
from tests.topology.conftest import METRICS_TOKEN, Split
from tests.topology.logs import app_log

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

API = "/api/v1"
# Headers that say what a response is; the rest (Date, X-Request-ID, RateLimit-Remaining
# and RateLimit-Reset) differ between any two responses.
SAME_HEADERS = (
    "Content-Type",
    "ETag",
    "Allow",
    "Vary",
    "Cache-Control",
    "RateLimit-Limit",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "WWW-Authenticate",
)
# Fields of a new or changed card that are its own (another card has others).
OWN_FIELDS = {"id", "title", "position", "created_at", "updated_at"}


def _served_by(split: Split, path: str, request_id: str) -> AppServer | None:
    """Return the process that answered the request (``None``: nginx itself)."""
    wait_for(lambda: request_id in split.access.by_request_id(), 5, f"nginx's line of {path}")
    return split.server(split.access.by_request_id()[request_id].served_by)


def _servers(split: Split, path: str) -> set[AppServer | None]:
    """Return every process that answered a request for ``path`` so far."""
    return {split.server(e.served_by) for e in split.access.entries() if e.path == path}


def _shape(response: requests.Response) -> dict[str, Any]:
    """Return a response's status, its identifying headers and its JSON body."""
    headers = {name: response.headers.get(name) for name in SAME_HEADERS}
    return {"status": response.status_code, "headers": headers, "body": response.json()}


def _compare(
    split: Split, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> tuple[requests.Response, requests.Response]:
    """Send one request over the split and one straight to Daphne; assert gunicorn served it."""
    over_split = requests.request(method, split.url + path, headers=headers, timeout=10, **kwargs)
    direct = requests.request(method, split.web.url + path, headers=headers, timeout=10, **kwargs)
    request_id = over_split.headers["X-Request-ID"]
    assert _served_by(split, path, request_id) is split.http, path
    return over_split, direct


def test_reads_and_the_schema_are_the_same_over_the_split_as_from_daphne(
    split: Split, split_team: Team
) -> None:
    team = split_team
    owner = bearer(team.owner)
    card = requests.post(
        f"{split.web.url}{API}/cards/",
        json={"column": team.todo.pk, "title": "Seen from both"},
        headers=owner,
        timeout=10,
    )
    assert card.status_code == 201, card.text
    board, workspace = team.board.pk, team.workspace.pk
    reads = [
        f"{API}/me/",
        f"{API}/workspaces/",
        f"{API}/workspaces/{workspace}/",
        f"{API}/workspaces/{workspace}/members/",
        f"{API}/boards/?workspace={workspace}",
        f"{API}/boards/{board}/",
        f"{API}/boards/{board}/snapshot/",
        f"{API}/boards/{board}/events/?after=0",
        f"{API}/columns/?board={board}",
        f"{API}/cards/?board={board}",
        f"{API}/cards/{card.json()['id']}/",
    ]
    for path in reads:
        over_split, direct = _compare(split, "GET", path, owner)
        assert over_split.status_code == 200, (path, over_split.text)
        assert _shape(over_split) == _shape(direct), path

    schema, direct_schema = _compare(split, "GET", f"{API}/schema/?format=json", owner)
    assert schema.status_code == 200
    assert schema.headers["Content-Type"] == direct_schema.headers["Content-Type"]
    assert schema.json() == direct_schema.json()
    assert f"{API}/cards/" in schema.json()["paths"]


def test_writes_and_errors_are_answered_alike(split: Split, split_team: Team) -> None:
    team = split_team
    owner = {**bearer(team.owner), "Content-Type": "application/json"}
    body = json.dumps({"column": team.todo.pk, "title": "Twin", "description": "Same body"})
    created = _compare(split, "POST", f"{API}/cards/", owner, data=body)
    for response in created:
        assert response.status_code == 201, response.text
        assert response.headers["ETag"] == '"1"'
    cards = [response.json() for response in created]
    assert cards[0]["id"] != cards[1]["id"]
    assert {k: v for k, v in cards[0].items() if k not in OWN_FIELDS} == {
        k: v for k, v in cards[1].items() if k not in OWN_FIELDS
    }

    # Each card patched over its own path; then the same stale If-Match on both.
    patched = []
    for base, card in zip((split.url, split.web.url), cards, strict=True):
        response = requests.patch(
            f"{base}{API}/cards/{card['id']}/",
            data=json.dumps({"description": "Changed"}),
            headers={**owner, "If-Match": '"1"'},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["version"], response.headers["ETag"]) == (2, '"2"')
        patched.append(response.json())
    assert {k: v for k, v in patched[0].items() if k not in OWN_FIELDS} == {
        k: v for k, v in patched[1].items() if k not in OWN_FIELDS
    }
    stale = [
        requests.patch(
            f"{base}{API}/cards/{card['id']}/",
            data=json.dumps({"title": "Too late"}),
            headers={**owner, "If-Match": '"1"'},
            timeout=10,
        )
        for base, card in zip((split.url, split.web.url), cards, strict=True)
    ]
    assert [response.status_code for response in stale] == [412, 412]
    assert stale[0].json() == stale[1].json()
    assert stale[0].json()["error"]

    errors: list[tuple[str, str, dict[str, str], str | None, int]] = [
        ("GET", f"{API}/cards/999999999/", owner, None, 404),
        ("POST", f"{API}/cards/", owner, json.dumps({"title": ""}), 400),
        ("POST", f"{API}/cards/", {"Content-Type": "application/json"}, body, 401),
        ("GET", f"{API}/no-such-route/", owner, None, 404),
        ("PATCH", f"{API}/cards/{cards[0]['id']}/", {**owner, "If-Match": "x"}, "{}", 400),
    ]
    for method, path, headers, data, status in errors:
        over_split, direct = _compare(split, method, path, headers, data=data)
        assert over_split.status_code == status, (path, over_split.text)
        assert _shape(over_split) == _shape(direct), path
        assert set(over_split.json()) >= {"error", "message"}


async def _follow(
    url: str, ticket: str, board: int, head: int, events: list[dict[str, Any]]
) -> None:
    """Subscribe to ``board`` and collect its events until seq ``head`` has arrived."""
    async with websockets.connect(url + f"/ws/?ticket={ticket}", open_timeout=5) as socket:
        await socket.send(json.dumps({"type": "subscribe", "board": board, "since": 0}))
        while not events or events[-1]["seq"] < head:
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if message["type"] == "event":
                events.append(message)


def test_writes_answered_by_gunicorn_reach_sockets_on_daphne_in_seq_order(
    split: Split, split_team: Team
) -> None:
    team = split_team
    followers = Followers(split.url, bearer(team.member), team.board.pk, 4)
    followers.start()
    writer = requests.Session()
    writer.headers.update(bearer(team.owner))
    written: dict[int, dict[str, Any]] = {}
    try:
        for n in range(12):
            column = (team.todo, team.done)[n % 2].pk
            response = writer.post(
                f"{split.url}{API}/cards/", json={"column": column, "title": f"g{n}"}, timeout=10
            )
            assert response.status_code == 201, response.text
            written[response.json()["id"]] = response.json()
        moved = writer.post(
            f"{split.url}{API}/cards/{next(iter(written))}/move/",
            json={"column": team.done.pk},
            timeout=10,
        )
        assert moved.status_code == 200, moved.text
        head = head_seq(team.board.pk)
        wait_for(lambda: followers.all_at(head), 5, "every event on every socket")
    finally:
        followers.stop()
    assert_every_seq_once(followers, head)

    # The events' data is what gunicorn answered, byte for byte (one serializer).
    ticket = writer.post(f"{split.url}{API}/auth/ws-ticket/", timeout=10).json()["ticket"]
    events: list[dict[str, Any]] = []
    run_async(_follow(split.url.replace("http://", "ws://"), ticket, team.board.pk, head, events))
    created = {e["data"]["id"]: e["data"] for e in events if e["event"] == "card.created"}
    assert created == written
    assert [e["seq"] for e in events] == list(range(1, head + 1))
    assert events[-1]["event"] == "card.moved" and events[-1]["data"] == moved.json()

    # nginx sent the writes and tickets to gunicorn and every socket to Daphne.
    assert _servers(split, f"{API}/cards/") == {split.http}
    assert _servers(split, f"{API}/auth/ws-ticket/") == {split.http}
    assert _servers(split, "/ws/") == {split.web}


def test_request_log_readiness_and_metrics_under_gunicorn(split: Split) -> None:
    me = requests.get(f"{split.url}{API}/me/", headers={"X-Request-ID": "split-7.a"}, timeout=5)
    assert (me.status_code, me.headers["X-Request-ID"]) == (401, "split-7.a")
    assert _served_by(split, f"{API}/me/", "split-7.a") is split.http

    def records() -> list[dict[str, Any]]:
        return [r for r in app_log(split.http) if r.get("request_id") == "split-7.a"]

    wait_for(lambda: bool(records()), 5, "gunicorn's log line of the request")
    (record,) = records()
    assert record["logger"] == "corkboard.request"
    assert (record["route"], record["status"], record["method"]) == ("api/v1/me/", 401, "GET")

    assert requests.get(f"{split.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{split.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
    }
    assert _served_by(split, "/readyz", ready.headers["X-Request-ID"]) is split.http

    assert requests.get(f"{split.url}/metrics", timeout=5).status_code == 404
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    scrapes = [requests.get(f"{split.url}/metrics", headers=auth, timeout=5) for _ in range(3)]
    assert {s.status_code for s in scrapes} == {200}
    assert all(s.headers["Content-Type"].startswith("text/plain") for s in scrapes)
    # Each worker counts its own requests: of three scrapes over two workers, one worker
    # answered two, and its second shows the first.
    counted = re.compile(
        r'^corkboard_http_requests_total\{method="GET",route="metrics",status="200"\} ([0-9.]+)$',
        re.MULTILINE,
    )
    seen = [float(m.group(1)) for s in scrapes for m in counted.finditer(s.text)]
    assert seen and max(seen) >= 1


@pytest.mark.e2e
def test_a_browser_signs_in_over_the_split_and_its_socket_goes_live_on_daphne(
    split: Split, split_team: Team, split_context: Callable[[], BrowserContext]
) -> None:
    team = split_team
    page = split_context().new_page()
    page.goto(f"/b/{team.board.pk}")
    log_in(page, "member", PASSWORD)
    expect(page).to_have_url(re.compile(rf"/b/{team.board.pk}$"))
    board = BoardPage(page, team.board.pk, shot_prefix="split")
    board.expect_live()

    response = requests.post(
        f"{split.url}{API}/cards/",
        json={"column": team.todo.pk, "title": "Written over WSGI"},
        headers=bearer(team.owner),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    expect(board.cards("Written over WSGI", "To do")).to_have_count(1)

    assert _servers(split, f"{API}/auth/login/") == {split.http}
    assert _servers(split, "/ws/") == {split.web}
    # The socket was the session's: Daphne read the session gunicorn's log-in created.
    connects = [
        r
        for r in app_log(split.web)
        if r.get("message") == "socket connect" and r.get("user_id") == team.member.pk
    ]
    assert connects


async def _ping(socket: Any) -> dict[str, Any]:
    await socket.send(json.dumps({"type": "ping"}))
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if message["type"] == "pong":
            return message


def test_with_gunicorn_down_nginx_answers_json_and_sockets_stay_up(
    split: Split, split_team: Team
) -> None:
    team = split_team
    headers = bearer(team.member)
    ticket = requests.post(f"{split.url}{API}/auth/ws-ticket/", headers=headers, timeout=10)
    url = split.url.replace("http://", "ws://") + f"/ws/?ticket={ticket.json()['ticket']}"

    async def outage() -> list[requests.Response]:
        async with websockets.connect(url, open_timeout=5) as socket:
            await _ping(socket)
            split.http.kill()
            answers = [
                await asyncio.to_thread(
                    requests.request, method, f"{split.url}{path}", headers=headers, timeout=5
                )
                for method, path in (("GET", f"{API}/me/"), ("POST", f"{API}/cards/"))
            ]
            # The socket was Daphne's all along: it still answers.
            assert await _ping(socket) == {"type": "pong"}
            return answers

    try:
        answers = run_async(outage())
    finally:
        split.http.start()
    for response in answers:
        assert response.status_code == 502
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Retry-After"] == "5"
        assert response.json()["error"] == "unavailable"
    # Back: the workers take requests as soon as they have booted.
    wait_for(
        lambda: requests.get(f"{split.url}{API}/me/", headers=headers, timeout=5).ok,
        30,
        "gunicorn to answer again",
    )
