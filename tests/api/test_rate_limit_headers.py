"""``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` on every API response (api/throttling.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for


def _rate(scope: str) -> int:
    rates: Any = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    return int(rates[scope].split("/")[0])


def _limits(response: Any) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_each_request_counts_down_the_users_limit(team: Team) -> None:
    member = client_for(team.member)
    first = member.get(f"{API}/boards/")
    second = member.get(f"{API}/boards/{team.board.pk}/")
    assert first.status_code == second.status_code == 200
    limit, remaining, reset = _limits(first)
    assert limit == _rate("user") and remaining == limit - 1
    assert 1 <= reset <= 60  # seconds until this first request leaves the minute's window
    assert _limits(second)[:2] == (limit, limit - 2)


def test_errors_carry_the_headers_too(team: Team) -> None:
    member = client_for(team.member)
    missing = member.get(f"{API}/boards/999999/")
    assert_error(missing, 404, "not_found")
    invalid = member.post(f"{API}/cards/", {"title": ""}, format="json")
    assert invalid.status_code == 400
    assert _limits(invalid)[1] == _limits(missing)[1] - 1


def test_a_refused_credential_is_reported_against_the_address_without_counting() -> None:
    anonymous = APIClient()
    first = anonymous.get(f"{API}/boards/")
    second = anonymous.get(f"{API}/boards/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert first.status_code == second.status_code == 401
    limit, remaining, reset = _limits(first)
    assert limit == _rate("anon") and remaining == limit and reset == 0
    assert _limits(second) == (limit, limit, 0)


def test_the_tightest_limit_is_reported_and_a_429_says_when_to_retry(team: Team) -> None:
    client = APIClient()
    login = _rate("login")
    for attempt in range(login):
        response = client.post(
            f"{API}/auth/login/", {"username": "member", "password": f"no{attempt}"}, format="json"
        )
        assert response.status_code == 400
        # The log-in limit is tighter than the anonymous one, so it is the one reported.
        assert _limits(response)[:2] == (login, login - attempt - 1)
    refused = client.post(
        f"{API}/auth/login/", {"username": "member", "password": "x"}, format="json"
    )
    assert_error(refused, 429, "rate_limited")
    limit, remaining, reset = _limits(refused)
    assert (limit, remaining) == (login, 0)
    assert reset == int(refused["Retry-After"]) and 1 <= reset <= 60


@pytest.mark.parametrize(("path", "scope"), [("/no-such-route/", "anon"), ("/me/", "user")])
def test_other_api_routes_carry_them(team: Team, path: str, scope: str) -> None:
    """A path that names no route does not read credentials: it counts by address."""
    response = client_for(team.member).get(f"{API}{path}")
    assert response.status_code in (200, 404)
    assert _limits(response)[0] == _rate(scope)


def test_a_replayed_post_reports_the_limits_of_now_not_of_then(team: Team) -> None:
    member = client_for(team.member)
    body = {"column": team.todo.pk, "title": "Once"}
    first = member.post(f"{API}/cards/", body, format="json", HTTP_IDEMPOTENCY_KEY="rl-1")
    again = member.post(f"{API}/cards/", body, format="json", HTTP_IDEMPOTENCY_KEY="rl-1")
    assert again["Idempotent-Replayed"] == "true"
    assert _limits(again)[1] == _limits(first)[1] - 1
