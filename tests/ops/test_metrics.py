"""Prometheus metrics: every counter moves by exactly what the traffic did.

In process: the route label of the HTTP middleware (sync, async, include()d routes, a
500), the database wrapper in any thread, the socket limit (1013) and the socket log.
Against a real Daphne with ``METRICS_TOKEN``: REST writes, sockets, a replay and a
refused socket, scraped from ``/metrics`` before and after; ``/metrics`` is a plain 404
without the token; no label carries an id; the limit's 1013 reaches a real client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client
from django.urls import path
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from accounts.tickets import ticket_issue
from project.asgi import application
from project.metrics import _count_query
from tests.realtime.sockets import bearer, connect, next_of, post, subscribe
from tests.servers import DaphneServer

METRICS_TOKEN = "scrape-me-4f1c9a7e"
SOCKET_LIMIT = 3
# A label value that is a path segment of digits is an id (route, not path, is the rule).
ID_SEGMENT = re.compile(r"(^|/)\d+(/|$)")


# A urlconf of this module for the in-process middleware tests (``pytest.mark.urls``).


def _boom(request: HttpRequest, n: int) -> HttpResponse:
    raise RuntimeError("boom")


async def _async_view(request: HttpRequest, n: int) -> JsonResponse:
    return JsonResponse({"n": n})


urlpatterns = [
    path("boom/<int:n>/", _boom),
    path("async/<int:n>/", _async_view),
]


def _local(name: str, **labels: str) -> float:
    """Return a sample of this (test) process's registry, 0 when it does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _requests(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return _local("corkboard_http_requests_total", **labels)


# HTTP middleware, in process.


@pytest.mark.django_db
def test_route_label_is_the_full_pattern_of_an_included_route_never_the_path():
    client = Client()
    before = {
        route: _requests("GET", route, 401)
        for route in ("api/v1/cards/<int:pk>/", "api/v1/boards/<int:pk>/events/")
    }
    unmatched = _requests("GET", "unmatched", 404)
    assert client.get("/api/v1/cards/987654/").status_code == 401
    assert client.get("/api/v1/boards/987654/events/").status_code == 401
    assert client.get("/static/987654/missing.js").status_code == 404
    for route, count in before.items():
        assert _requests("GET", route, 401) == count + 1
    assert _requests("GET", "unmatched", 404) == unmatched + 1
    duration = "corkboard_http_request_duration_seconds_count"
    assert _local(duration, method="GET", route="api/v1/cards/<int:pk>/") >= 1


def test_method_outside_the_standard_verbs_is_other():
    before = _requests("other", "unmatched", 404)
    Client().generic("BREW", "/static/pot")
    assert _requests("other", "unmatched", 404) == before + 1


@pytest.mark.urls(__name__)
def test_a_view_that_raises_is_counted_as_its_500():
    before = _requests("GET", "boom/<int:n>/", 500)
    response = Client(raise_request_exception=False).get("/boom/7/")
    assert response.status_code == 500
    assert _requests("GET", "boom/<int:n>/", 500) == before + 1


@pytest.mark.urls(__name__)
async def test_an_async_view_is_counted_through_the_async_middleware():
    before = _requests("GET", "async/<int:n>/", 200)
    response = await AsyncClient().get("/async/3/")
    assert response.status_code == 200 and response.json() == {"n": 3}
    assert _requests("GET", "async/<int:n>/", 200) == before + 1


def test_metrics_is_the_plain_404_of_an_unknown_path_without_the_right_token(settings):
    client = Client()
    unknown = client.get("/static/no-such-file.js")
    for token, header in [
        ("", None),
        ("", "Bearer "),
        (METRICS_TOKEN, None),
        (METRICS_TOKEN, "Bearer wrong"),
        (METRICS_TOKEN, f"Basic {METRICS_TOKEN}"),
        (METRICS_TOKEN, f"Bearer {METRICS_TOKEN}x"),
    ]:
        settings.METRICS_TOKEN = token
        headers = {"Authorization": header} if header is not None else {}
        response = client.get("/metrics", headers=headers)
        assert (response.status_code, response.content) == (404, unknown.content), header
        assert response["Content-Type"] == unknown["Content-Type"]
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    assert response["Cache-Control"] == "no-store"
    assert b"corkboard_http_requests_total" in response.content


def test_a_scraper_calling_a_process_by_its_address_over_plain_http_is_answered(settings):
    # Prometheus scrapes web1:8000 or a pod IP: not an allowed host, and not HTTPS.
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.SECURE_SSL_REDIRECT = True
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    for host in ["web1:8000", "10.1.2.3:8000"]:
        response = Client().get("/metrics", headers=headers, HTTP_HOST=host)
        assert response.status_code == 200, host
        assert b"corkboard_ws_sockets" in response.content
    assert Client().get("/metrics", HTTP_HOST="web1:8000").status_code == 404
    assert Client().get("/healthz", HTTP_HOST="web1:8000").status_code in {301, 400}


# Database queries and errors, from any thread.


def _in_new_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a fresh thread: its own connection, opened after the import."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    if failure:
        raise failure[0]


@pytest.mark.django_db
def test_queries_and_failed_queries_of_any_thread_are_counted():
    queries, errors = _local("corkboard_db_queries_total"), _local("corkboard_db_errors_total")

    def work() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
            with pytest.raises(DatabaseError):
                cursor.execute("SELECT * FROM no_such_table")

    _in_new_thread(work)
    assert _local("corkboard_db_queries_total") == queries + 3
    assert _local("corkboard_db_errors_total") == errors + 1


@pytest.mark.django_db
def test_the_counter_stays_outermost_when_a_connection_opens_inside_another_wrapper():
    errors = _local("corkboard_db_errors_total")

    def refuse(*args: Any) -> Any:
        raise DatabaseError("refused by the test")

    def work() -> None:
        with connection.execute_wrapper(refuse):
            with pytest.raises(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        # The block popped its own wrapper, not the counter.
        assert connection.execute_wrappers == [_count_query]

    _in_new_thread(work)
    assert _local("corkboard_db_errors_total") == errors + 1


# Sockets in process: the limit and the log.


async def _communicator(user: Any, request_id: bytes | None = None) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ticket_issue)(user.pk)
    headers = [(b"x-request-id", request_id)] if request_id is not None else []
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


@pytest.mark.django_db(transaction=True)
async def test_a_socket_past_the_limit_is_accepted_and_closed_with_1013(team, settings):
    settings.WS_MAX_SOCKETS = 2
    assert _local("corkboard_ws_socket_limit") == 2
    refused = _local("corkboard_ws_closes_total", code="1013")
    open_before = _local("corkboard_ws_sockets")
    first, second = [await _communicator(team.member) for _ in range(2)]
    assert _local("corkboard_ws_sockets") == open_before + 2
    third = await _communicator(team.member)
    assert await third.receive_output(timeout=5) == {"type": "websocket.close", "code": 1013}
    assert _local("corkboard_ws_closes_total", code="1013") == refused + 1
    assert _local("corkboard_ws_sockets") == open_before + 2
    await first.disconnect()
    fourth = await _communicator(team.member)  # room again
    await fourth.send_json_to({"type": "ping"})
    assert json.loads(await fourth.receive_from(timeout=5)) == {"type": "pong"}
    for socket in (second, third, fourth):
        await socket.disconnect()
    assert _local("corkboard_ws_sockets") == open_before


@pytest.mark.django_db(transaction=True)
async def test_a_consumer_that_crashes_releases_its_gauges_and_counts_1011(team, monkeypatch):
    def crash(*args: Any) -> None:
        raise RuntimeError("a bug, or the database went away")

    monkeypatch.setattr("realtime.consumers.card_on_board", crash)
    gauges = ("corkboard_ws_sockets", "corkboard_ws_subscriptions", "corkboard_presence_entries")
    before = {name: _local(name) for name in gauges}
    crashed = _local("corkboard_ws_closes_total", code="1011")
    socket = await _communicator(team.member)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "subscribed"
    assert _local("corkboard_ws_subscriptions") == before["corkboard_ws_subscriptions"] + 1
    message = {"type": "presence", "board": team.board.pk, "card": 1, "state": "viewing"}
    await socket.send_json_to(message)
    with pytest.raises(RuntimeError):  # the consumer dies with it
        await asyncio.wait_for(socket.future, 5)
    assert {name: _local(name) for name in gauges} == before
    assert _local("corkboard_ws_closes_total", code="1011") == crashed + 1


@pytest.mark.django_db(transaction=True)
async def test_socket_log_lines_carry_request_id_user_board_and_close_code(team, caplog):
    caplog.set_level(logging.INFO, logger="corkboard.socket")
    socket = await _communicator(team.member, b"edge-7f3a.b_c")
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "subscribed"
    await socket.disconnect(code=1001)
    lines = [(r.getMessage(), r.__dict__) for r in caplog.records if r.name == "corkboard.socket"]
    assert [message for message, _ in lines] == [
        "socket connect",
        "socket subscribe",
        "socket close",
    ]
    for _, record in lines:
        assert record["request_id"] == "edge-7f3a.b_c"
        assert record["user_id"] == team.member.pk
    assert lines[1][1]["board_id"] == team.board.pk
    assert lines[2][1]["close_code"] == 1001


@pytest.mark.django_db(transaction=True)
async def test_a_malformed_request_id_is_replaced_and_nothing_secret_is_logged(team, caplog):
    caplog.set_level(logging.INFO, logger="corkboard.socket")
    for request_id in (b"has space", b"x" * 201, b'quote"d', b""):
        caplog.clear()
        ticket = await database_sync_to_async(ticket_issue)(team.member.pk)
        socket = WebsocketCommunicator(
            application, f"/ws/?ticket={ticket}", headers=[(b"x-request-id", request_id)]
        )
        assert (await socket.connect(timeout=5))[0]
        await socket.disconnect()
        records = [r.__dict__ for r in caplog.records if r.name == "corkboard.socket"]
        assert [r["msg"] for r in records] == ["socket connect", "socket close"]
        assert re.fullmatch(r"[0-9a-f]{32}", records[0]["request_id"]), request_id
        assert records[0]["request_id"] == records[1]["request_id"]
        assert ticket not in repr(records)


@pytest.mark.django_db
async def test_an_unauthenticated_socket_logs_and_counts_its_4401(caplog):
    caplog.set_level(logging.INFO, logger="corkboard.socket")
    refused = _local("corkboard_ws_closes_total", code="4401")
    socket = WebsocketCommunicator(application, "/ws/?ticket=not-a-ticket")
    connected, code = await socket.connect(timeout=5)
    assert (connected, code) == (False, 4401)
    assert _local("corkboard_ws_closes_total", code="4401") == refused + 1
    records = [r.__dict__ for r in caplog.records if r.name == "corkboard.socket"]
    assert [r["msg"] for r in records] == ["socket connect", "socket close"]
    assert records[1]["user_id"] is None and records[1]["close_code"] == 4401
    assert "not-a-ticket" not in repr(records)


# A real Daphne, scraped.


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[DaphneServer]:
    daphne = DaphneServer(METRICS_TOKEN=METRICS_TOKEN, WS_MAX_SOCKETS=str(SOCKET_LIMIT))
    daphne.start()
    yield daphne
    daphne.close()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(base: str) -> Samples:
    response = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert response.headers["Cache-Control"] == "no-store"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _scrape_until(base: str, done: Callable[[Samples], bool], timeout: float = 5) -> Samples:
    """Scrape until ``done`` holds (the server counts a frame just after writing it)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = await asyncio.to_thread(_scrape, base)
        if done(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.05)


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def _events(socket: Any, count: int) -> list[int]:
    return [(await next_of(socket, "event"))["seq"] for _ in range(count)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.multiprocess
async def test_traffic_moves_every_counter_by_exactly_what_happened(team, server):
    writes, base = 4, server.url
    member, owner = await bearer(team.member), await bearer(team.owner)
    first, second = await connect(base, member), await connect(base, member)
    seq = (await subscribe(first, team.board.pk))["seq"]
    await subscribe(second, team.board.pk)
    before = await _scrape_until(base, lambda s: _value(s, "corkboard_ws_subscriptions") == 2)
    assert _value(before, "corkboard_ws_sockets") == 2
    assert _value(before, "corkboard_ws_socket_limit") == SOCKET_LIMIT

    cards = []
    for n in range(writes):
        body = {"column": team.todo.pk, "title": f"card {n}"}
        response = await post(base, "/api/v1/cards/", owner, body)
        assert response.status_code == 201, response.text
        cards.append(response.json()["id"])
    for socket in (first, second):
        assert await _events(socket, writes) == list(range(seq + 1, seq + writes + 1))
    detail = await asyncio.to_thread(
        requests.get, f"{base}/api/v1/cards/{cards[0]}/", headers=owner, timeout=10
    )
    assert detail.status_code == 200
    sent = writes * 2
    after = await _scrape_until(
        base, lambda s: _delta(before, s, "corkboard_ws_frames_sent_total", type="event") >= sent
    )

    created = {"method": "POST", "route": "api/v1/cards/", "status": "201"}
    assert _delta(before, after, "corkboard_http_requests_total", **created) == writes
    duration = "corkboard_http_request_duration_seconds_count"
    assert _delta(before, after, duration, method="POST", route="api/v1/cards/") == writes
    read = {"method": "GET", "route": "api/v1/cards/<int:pk>/", "status": "200"}
    assert _delta(before, after, "corkboard_http_requests_total", **read) == 1
    assert _delta(before, after, "corkboard_events_published_total") == writes
    assert _delta(before, after, "corkboard_publish_errors_total") == 0
    assert _delta(before, after, "corkboard_ws_frames_sent_total", type="event") == sent
    # Observed once per event and process, when the hub has written it to every socket.
    assert _delta(before, after, "corkboard_publish_to_send_seconds_count") == writes
    assert 0 < _delta(before, after, "corkboard_publish_to_send_seconds_sum") < writes
    assert _delta(before, after, "corkboard_db_queries_total") > writes
    assert _delta(before, after, "corkboard_db_errors_total") == 0

    # One socket leaves and comes back with since=: the writes are replayed to it.
    await first.close()
    await _scrape_until(base, lambda s: _value(s, "corkboard_ws_sockets") == 1)
    again = await connect(base, member)
    await subscribe(again, team.board.pk, since=seq)
    assert await _events(again, writes) == list(range(seq + 1, seq + writes + 1))
    with pytest.raises(websockets.InvalidStatus):  # a bad ticket: refused with 4401
        await websockets.connect(base.replace("http", "ws") + "/ws/?ticket=nope")
    await second.close()
    await again.close()
    final = await _scrape_until(base, lambda s: _value(s, "corkboard_ws_sockets") == 0)

    assert _delta(before, final, "corkboard_replays_total") == 1
    assert _delta(before, final, "corkboard_replayed_events_total") == writes
    assert _delta(before, final, "corkboard_ws_frames_sent_total", type="replay") == writes
    assert _delta(before, final, "corkboard_resyncs_total") == 0
    assert _delta(before, final, "corkboard_ws_connects_total") == 2  # again + the refused one
    assert _delta(before, final, "corkboard_ws_closes_total", code="1000") == 3
    assert _delta(before, final, "corkboard_ws_closes_total", code="4401") == 1
    assert _value(final, "corkboard_ws_subscriptions") == 0

    await asyncio.to_thread(requests.get, f"{base}/readyz", timeout=10)
    ready = await asyncio.to_thread(_scrape, base)
    for check in ("database", "cache", "channel_layer"):
        assert _value(ready, "corkboard_ready", check=check) == 1

    labelled = [
        (name, key, value)
        for (name, labels) in ready
        if name.startswith("corkboard_")
        for key, value in labels
        if key not in ("le", "status", "code")
    ]
    assert any(value == "api/v1/cards/<int:pk>/" for _, _, value in labelled)
    assert not [item for item in labelled if ID_SEGMENT.search(item[2])]


@pytest.mark.django_db(transaction=True)
@pytest.mark.multiprocess
async def test_metrics_over_daphne_is_a_404_without_the_token(server):
    def get(path: str, **headers: str) -> requests.Response:
        return requests.get(f"{server.url}{path}", headers=headers, timeout=10)

    unknown = await asyncio.to_thread(get, "/static/no-such-file.js")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        response = await asyncio.to_thread(get, "/metrics", **headers)
        assert (response.status_code, response.content) == (404, unknown.content)
    samples = await asyncio.to_thread(_scrape, server.url)  # with it: 200 (checked there)
    assert _value(samples, "corkboard_ws_socket_limit") == SOCKET_LIMIT


@pytest.mark.django_db(transaction=True)
@pytest.mark.multiprocess
async def test_daphne_refuses_sockets_past_the_limit_with_1013(team, server):
    await _scrape_until(server.url, lambda s: _value(s, "corkboard_ws_sockets") == 0)
    member = await bearer(team.member)
    sockets = [await connect(server.url, member) for _ in range(SOCKET_LIMIT)]
    extra = await connect(server.url, member)
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(extra.recv(), 5)
    assert extra.close_code == 1013
    samples = await asyncio.to_thread(_scrape, server.url)
    assert _value(samples, "corkboard_ws_sockets") == SOCKET_LIMIT
    for socket in sockets:
        await socket.close()
