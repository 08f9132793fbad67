"""Redis is a pipe and a cache: with it killed or paused, the REST API reads and writes.

A Daphne of the test's own talks to a Redis of the test's own (tests/servers.py),
which the test kills (SIGKILL), restarts on the same port, and pauses (SIGSTOP).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.factories import make_token
from tests.servers import DaphneServer, RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]

API = "/api/v1"
# A paused Redis costs at most one cache timeout (0.5 s) per call; well under this.
ANSWER_WITHIN = 4.0


@pytest.fixture
def stack() -> Iterator[tuple[RedisServer, DaphneServer]]:
    redis_server = RedisServer()
    server: DaphneServer | None = None
    try:
        redis_server.start()
        server = DaphneServer(
            REDIS_URL=f"{redis_server.url}/0",
            CACHE_URL=f"{redis_server.url}/1",
            LOG_LEVEL="WARNING",
        )
        server.start()
        yield redis_server, server
    finally:
        redis_server.resume()
        if server is not None:
            server.close()
        redis_server.close()


def _client(user: Any) -> requests.Session:
    _, plaintext = make_token(user)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {plaintext}"
    return session


def _round(session: requests.Session, base: str, team: Any) -> dict[str, requests.Response]:
    """Return one of each kind of request: reads, a write, a ticket, the probes."""
    return {
        "board": session.get(f"{base}{API}/boards/{team.board.pk}/", timeout=10),
        "cards": session.get(f"{base}{API}/cards/?board={team.board.pk}", timeout=10),
        "create": session.post(
            f"{base}{API}/cards/",
            json={"column": team.todo.pk, "title": "in an outage"},
            timeout=10,
        ),
        "ticket": session.post(f"{base}{API}/auth/ws-ticket/", timeout=10),
        "readyz": requests.get(f"{base}/readyz", timeout=10),
        "healthz": requests.get(f"{base}/healthz", timeout=10),
    }


def _assert_all_work(responses: dict[str, requests.Response]) -> None:
    statuses = {name: response.status_code for name, response in responses.items()}
    expected = {name: 200 for name in responses} | {"create": 201}
    assert statuses == expected, {name: r.text[:300] for name, r in responses.items()}
    assert all(check["status"] == "ok" for check in responses["readyz"].json()["checks"].values())


def _assert_degraded(responses: dict[str, requests.Response]) -> None:
    details = {name: (r.status_code, r.text[:300]) for name, r in responses.items()}
    assert responses["board"].status_code == 200, details
    assert responses["cards"].status_code == 200, details
    assert responses["create"].status_code == 201, details
    assert responses["healthz"].json() == {"status": "ok"}
    ticket = responses["ticket"]
    assert ticket.status_code == 503, details
    assert ticket.headers["Content-Type"] == "application/json"
    assert ticket.json()["error"] == "unavailable" and ticket.json()["message"]
    assert int(ticket.headers["Retry-After"]) >= 1
    ready = responses["readyz"]
    assert ready.status_code == 503, details
    assert ready.headers["Cache-Control"] == "no-store"
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "error" and checks["cache"]["error"]
    assert checks["channel_layer"]["status"] == "error"
    assert all(isinstance(check["ms"], int | float) for check in checks.values())


def _member_session_that_works(team: Any, base: str) -> requests.Session:
    """Return a session of the member, once a first round through ``base`` all works."""
    session = _client(team.member)
    _assert_all_work(_round(session, base, team))
    return session


def test_a_killed_redis_leaves_reads_and_writes_working_and_recovers(team, stack):
    redis_server, server = stack
    base = server.url
    session = _member_session_that_works(team, base)

    redis_server.kill()
    for _ in range(3):  # the first request after the kill meets the broken connections
        _assert_degraded(_round(session, base, team))
    # The throttles' fallback says so once per outage, not once per request.
    assert server.log_path.read_text().count("Shared cache unreachable") == 1

    redis_server.start()
    deadline = time.monotonic() + 20
    while True:
        responses = _round(session, base, team)
        try:
            _assert_all_work(responses)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_paused_redis_does_not_hold_requests_for_long(team, stack):
    redis_server, server = stack
    base = server.url
    session = _member_session_that_works(team, base)

    redis_server.pause()
    try:
        for name, request in (
            ("board", lambda: session.get(f"{base}{API}/boards/{team.board.pk}/", timeout=30)),
            ("ticket", lambda: session.post(f"{base}{API}/auth/ws-ticket/", timeout=30)),
            (
                "board again",
                lambda: session.get(f"{base}{API}/boards/{team.board.pk}/", timeout=30),
            ),
        ):
            started = time.monotonic()
            response = request()
            elapsed = time.monotonic() - started
            assert elapsed < ANSWER_WITHIN, (name, elapsed)
            assert response.status_code == (503 if name == "ticket" else 200), response.text
        started = time.monotonic()
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert time.monotonic() - started < 2 * ANSWER_WITHIN
        assert ready.status_code == 503
        assert ready.json()["checks"]["cache"]["status"] == "error"
    finally:
        redis_server.resume()
