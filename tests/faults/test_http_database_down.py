"""With PostgreSQL unreachable every route answers the JSON error shape, 503 and Retry-After.

A Daphne of the test's own reaches the test database through a TCP proxy the test
controls (tests/faults/proxy.py); going down drops its pooled connections too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD, make_token
from tests.faults.proxy import TcpProxy
from tests.servers import DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]

API = "/api/v1"


@pytest.fixture
def proxied() -> Iterator[tuple[TcpProxy, str]]:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (
        f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    )
    with TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        server = DaphneServer(
            DATABASE_URL=f"postgres://{credentials}@127.0.0.1:{proxy.port}/{db['NAME']}"
        )
        try:
            server.start()
            yield proxy, server.url
        finally:
            server.close()


def _csrf_token(session: requests.Session) -> str:
    return str(session.cookies["csrftoken"])


def csrf(session: requests.Session) -> dict[str, str]:
    return {"csrfmiddlewaretoken": _csrf_token(session)}


def _browser(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}{API}/auth/csrf/", timeout=10)
    response = session.post(
        f"{base}{API}/auth/login/",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": _csrf_token(session)},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return session


def _requests(base: str, team: Any, token: str, browser: requests.Session) -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {token}"}
    card = {"column": team.todo.pk, "title": "while the database is down"}
    return {
        "boards": lambda: requests.get(f"{base}{API}/boards/", headers=bearer, timeout=15),
        "create": lambda: requests.post(
            f"{base}{API}/cards/", json=card, headers=bearer, timeout=15
        ),
        "me (session)": lambda: browser.get(f"{base}{API}/me/", timeout=15),
        "admin": lambda: browser.get(f"{base}/admin/", allow_redirects=False, timeout=15),
        "admin login": lambda: browser.post(
            f"{base}/admin/login/",
            data={"username": team.admin.username, "password": PASSWORD, **csrf(browser)},
            allow_redirects=False,
            timeout=15,
        ),
    }


def _assert_unavailable(name: str, response: requests.Response) -> None:
    detail = (name, response.status_code, response.text[:300])
    assert response.status_code == 503, detail
    assert response.headers["Content-Type"] == "application/json", detail
    assert "<html" not in response.text.lower(), detail
    body = response.json()
    assert body["error"] == "unavailable" and body["message"], detail
    assert set(body) <= {"error", "message", "detail"}
    assert int(response.headers["Retry-After"]) >= 1, detail


def test_every_route_answers_json_503_while_the_database_is_unreachable(team, proxied):
    proxy, base = proxied
    _make_server_staff(team.admin)
    _, token = make_token(team.member)
    browser = _browser(base, team.admin.username)
    calls = _requests(base, team, token, browser)
    working = {name: call() for name, call in calls.items()}
    assert {name: r.status_code for name, r in working.items()} == {
        "boards": 200,
        "create": 201,
        "me (session)": 200,
        "admin": 200,
        "admin login": 302,
    }, {name: r.text[:200] for name, r in working.items()}

    proxy.down()
    for _ in range(2):  # pooled connections break first, then new ones are refused
        for name, call in calls.items():
            _assert_unavailable(name, call())
    ready = requests.get(f"{base}/readyz", timeout=15)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["status"] == "error"
    assert requests.get(f"{base}/healthz", timeout=15).status_code == 200
    # The app shell needs no database.
    assert requests.get(f"{base}/b/1", timeout=15).status_code == 200

    proxy.up()
    deadline = time.monotonic() + 15
    for name, call in calls.items():
        while (response := call()).status_code >= 500 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert response.status_code == working[name].status_code, (name, response.text[:300])
    assert requests.get(f"{base}/readyz", timeout=15).status_code == 200


def _make_server_staff(user: Any) -> None:
    """Make ``user`` a superuser whose password the server can check (not MD5)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["password", "is_staff", "is_superuser"])
