"""Password guessing: login throttles per address and per account, shared by every process."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.api.conftest import assert_error, csrf
from tests.factories import PASSWORD, make_user
from tests.servers import daphne

API = "/api/v1"
LIMIT = 6


def _login(client: APIClient, username: str, password: str, **extra: Any) -> Any:
    client.get(f"{API}/auth/csrf/", **extra)
    return client.post(
        f"{API}/auth/login/",
        {"username": username, "password": password},
        format="json",
        **csrf(client),
        **extra,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.multiprocess
def test_login_bruteforce_throttled_across_processes(team):
    """Spreading guesses over two server processes does not buy more of them."""
    with (
        daphne(THROTTLE_LOGIN=f"{LIMIT}/min") as first,
        daphne(THROTTLE_LOGIN=f"{LIMIT}/min") as second,
    ):
        sessions = {}
        for base in (first, second):
            session = requests.Session()
            session.get(f"{base}{API}/auth/csrf/", timeout=10)
            sessions[base] = session

        def guess(base: str, password: str) -> requests.Response:
            session = sessions[base]
            return session.post(
                f"{base}{API}/auth/login/",
                json={"username": "member", "password": password},
                headers={"X-CSRFToken": session.cookies["csrftoken"]},
                timeout=10,
            )

        servers = itertools.cycle((first, second))
        for attempt in range(LIMIT):
            response = guess(next(servers), f"guess-{attempt}")
            assert response.status_code == 400, response.text
        for base in (first, second):
            refused = guess(base, "one-more-guess")
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"] == "rate_limited"
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Even the right password is refused until the window passes.
        assert guess(first, PASSWORD).status_code == 429


def _rate() -> int:
    rates: Any = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    return int(rates["login"].split("/")[0])


def test_login_bruteforce_with_spoofed_forwarded_for_is_still_throttled(team):
    """A fresh X-Forwarded-For per guess is not a fresh client (no trusted proxy configured)."""
    for attempt in range(_rate()):
        client = APIClient(enforce_csrf_checks=True)
        response = _login(client, f"victim{attempt}", "x", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")
        assert response.status_code == 400
    client = APIClient(enforce_csrf_checks=True)
    response = _login(client, "someone", "x", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


def test_login_bruteforce_on_one_account_from_many_addresses_is_throttled(team):
    """A botnet guessing one account's password is slowed down as one client."""
    for attempt in range(_rate()):
        client = APIClient(enforce_csrf_checks=True)
        response = _login(client, "member", f"guess{attempt}", REMOTE_ADDR=f"10.1.0.{attempt}")
        assert response.status_code == 400
    client = APIClient(enforce_csrf_checks=True)
    # Case and padding do not make it another account.
    response = _login(client, " MEMBER ", PASSWORD, REMOTE_ADDR="10.2.0.1")
    assert_error(response, 429, "rate_limited")


def _admin_session(base: str) -> requests.Session:
    session = requests.Session()
    assert session.get(f"{base}/admin/login/", timeout=10).status_code == 200
    return session


def _admin_login(base: str, session: requests.Session, username: str, password: str) -> Any:
    return session.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        allow_redirects=False,
        timeout=10,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.multiprocess
def test_admin_login_bruteforce_throttled_across_processes(team):
    """The admin's log-in form counts guesses like the API, over every process, per account."""
    make_user("staffer", is_staff=True, is_superuser=True)
    with (
        daphne(THROTTLE_LOGIN=f"{LIMIT}/min") as first,
        daphne(THROTTLE_LOGIN=f"{LIMIT}/min") as second,
    ):
        sessions = {base: _admin_session(base) for base in (first, second)}
        servers = itertools.cycle((first, second))
        for attempt in range(LIMIT):
            base = next(servers)
            response = _admin_login(base, sessions[base], "staffer", f"guess-{attempt}")
            # A wrong password re-renders the form.
            assert response.status_code == 200, response.text
            assert "sessionid" not in response.cookies
        for base in (first, second):
            refused = _admin_login(base, sessions[base], "staffer", "one-more-guess")
            assert refused.status_code == 429, refused.text
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Even the right password is refused until the window passes...
        refused = _admin_login(first, sessions[first], "staffer", PASSWORD)
        assert refused.status_code == 429
        assert "sessionid" not in refused.cookies
        # ...and so is the right password from a fresh client: the account is locked out,
        # not only the address (both buckets are full here; the API test below splits them).
        fresh = _admin_session(second)
        assert _admin_login(second, fresh, "staffer", PASSWORD).status_code == 429


def test_admin_and_api_login_share_the_per_account_limit(team):
    """Guessing one account through the admin then the API buys no extra guesses."""
    client = Client(enforce_csrf_checks=False)
    for attempt in range(_rate()):
        response = client.post(
            "/admin/login/",
            {"username": "member", "password": f"guess{attempt}"},
            REMOTE_ADDR=f"10.3.0.{attempt}",
        )
        assert response.status_code == 200
    refused = client.post(
        "/admin/login/", {"username": "Member", "password": PASSWORD}, REMOTE_ADDR="10.4.0.1"
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    api = APIClient(enforce_csrf_checks=True)
    response = _login(api, "member", PASSWORD, REMOTE_ADDR="10.4.0.2")
    assert_error(response, 429, "rate_limited")
