"""Failures answer one JSON shape: a dependency's with 503 and Retry-After, a bug's with 500.

In-process companions of the real-process fault tests: the error raised where the
dependency is used, inside and outside DRF's views.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.db.utils import InterfaceError, OperationalError
from django.test import Client

from api.throttling import ThrottleCache
from collab.exceptions import ServiceUnavailable
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _assert_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == code and body["message"]
    return body


def _get_admin_index_raising(admin_client: Client, monkeypatch: Any, error: Exception) -> Any:
    """GET the admin index with its app list raising ``error``; return the response."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr("django.contrib.admin.sites.AdminSite.get_app_list", fail)
    admin_client.raise_request_exception = False
    return admin_client.get("/admin/")


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        redis.exceptions.ConnectionError("Connection refused"),
        ServiceUnavailable(),
    ],
    ids=["db-operational", "db-interface", "redis", "domain"],
)
def test_a_dependency_failing_in_an_api_view_is_a_json_503(team, monkeypatch, error):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr("api.views.auth.ticket_issue", fail)
    response = client_for(team.member).post("/api/v1/auth/ws-ticket/")
    _assert_shape(response, 503, "unavailable")
    assert response["Retry-After"] == str(ServiceUnavailable.retry_after)


def test_a_database_failing_outside_drf_is_a_json_503_on_any_route(admin_client, monkeypatch):
    error = OperationalError("could not connect to server")
    response = _get_admin_index_raising(admin_client, monkeypatch, error)
    _assert_shape(response, 503, "unavailable")
    assert int(response["Retry-After"]) >= 1


def test_a_bug_in_an_api_view_is_a_json_500_without_details(team, monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("api.views.auth.MeView.get", fail)
    client = client_for(team.member)
    client.raise_request_exception = False
    response = client.get("/api/v1/me/")
    _assert_shape(response, 500, "server_error")
    assert b"secret internals" not in response.content


def test_a_bug_outside_the_api_keeps_the_html_500_page(admin_client, monkeypatch):
    response = _get_admin_index_raising(admin_client, monkeypatch, RuntimeError("boom"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_throttles_fall_back_to_process_memory_and_log_the_outage_once(monkeypatch, caplog):
    """With the shared cache raising, throttles still count (per process), one log line."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise redis.exceptions.ConnectionError("Connection refused")

    counter = ThrottleCache()
    monkeypatch.setattr("api.throttling._RETRY_SHARED_AFTER", 0.0)
    with caplog.at_level(logging.WARNING, logger="api.throttling"):
        monkeypatch.setattr(cache, "get", fail)
        monkeypatch.setattr(cache, "set", fail)
        for value in range(5):
            counter.set("k", value, 60)
            assert counter.get("k") == value
        monkeypatch.undo()
        monkeypatch.setattr("api.throttling._RETRY_SHARED_AFTER", 0.0)
        counter.set("k", "shared", 60)
        assert cache.get("k") == "shared"
    messages = [record.getMessage() for record in caplog.records]
    assert sum("unreachable" in m for m in messages) == 1, messages
    assert sum("reachable again" in m for m in messages) == 1, messages


def test_health_probes_answer_without_auth_or_throttling(db):
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready["Cache-Control"] == "no-store"
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "cache", "channel_layer"}
    assert all(check["status"] == "ok" and check["ms"] >= 0 for check in checks.values())
