"""Helpers for the REST tests: browser-like session clients with CSRF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD

API = "/api/v1"


def csrf_token(client: APIClient) -> str:
    """Return the CSRF cookie's value, as a browser's script would read it."""
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def csrf(client: APIClient) -> dict[str, Any]:
    """Return the header that carries the CSRF token on an unsafe request."""
    return {"HTTP_X_CSRFTOKEN": csrf_token(client)}


def session_login(client: APIClient, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Fetch the CSRF cookie, then log in with it."""
    client.get(f"{API}/auth/csrf/")
    headers: dict[str, Any] = {**csrf(client), **extra}
    return client.post(
        f"{API}/auth/login/",
        {"username": username, "password": password},
        format="json",
        **headers,
    )


@pytest.fixture
def session_for() -> Callable[[Any], APIClient]:
    """Return a factory of CSRF-enforcing clients signed in with a session."""

    def make(user: Any) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        response = session_login(client, user.username)
        assert response.status_code == 200, response.content
        return client

    return make


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert the one error shape, with ``status`` and ``code``; return the body."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"error", "message", "detail"}
    if "detail" in body:
        assert all(
            isinstance(v, list) and all(isinstance(m, str) for m in v)
            for v in body["detail"].values()
        )
    return body
