"""The OpenAPI schema and the docs page, served locally."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.api.conftest import API

CONTRACT = {
    "/api/v1/notifications/": {"get"},
    "/api/v1/notifications/read-all/": {"post"},
    "/api/v1/notifications/{id}/read/": {"post"},
    "/api/v1/cards/{id}/watch/": {"get", "post", "delete"},
    "/api/v1/boards/{id}/watch/": {"post", "delete"},
    "/api/v1/workspaces/{workspace_id}/webhooks/": {"get", "post"},
    "/api/v1/workspaces/{workspace_id}/webhooks/{id}/": {"get", "patch", "delete"},
    "/api/v1/workspaces/{workspace_id}/webhooks/{id}/rotate-secret/": {"post"},
    "/api/v1/workspaces/{workspace_id}/webhooks/{id}/redeliver/": {"post"},
    "/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries/": {"get"},
    "/api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/deliveries/{id}/redeliver/": {"post"},
    "/api/v1/auth/csrf/": {"get"},
    "/api/v1/auth/signup/": {"post"},
    "/api/v1/auth/login/": {"post"},
    "/api/v1/auth/logout/": {"post"},
    "/api/v1/auth/ws-ticket/": {"post"},
    "/api/v1/me/": {"get", "patch"},
    "/api/v1/tokens/": {"get", "post"},
    "/api/v1/tokens/{id}/": {"delete"},
    "/api/v1/workspaces/": {"get", "post"},
    "/api/v1/workspaces/{id}/": {"get", "patch", "delete"},
    "/api/v1/workspaces/{workspace_id}/members/": {"get", "post"},
    "/api/v1/workspaces/{workspace_id}/members/{user_id}/": {"patch", "delete"},
    "/api/v1/boards/": {"get", "post"},
    "/api/v1/boards/{id}/": {"get", "patch", "delete"},
    "/api/v1/boards/{id}/snapshot/": {"get"},
    "/api/v1/boards/{id}/events/": {"get"},
    "/api/v1/boards/{id}/stream/": {"get"},
    "/api/v1/boards/{id}/lock/": {"post"},
    "/api/v1/boards/{id}/unlock/": {"post"},
    "/api/v1/labels/": {"get", "post"},
    "/api/v1/labels/{id}/": {"get", "patch", "delete"},
    "/api/v1/columns/": {"get", "post"},
    "/api/v1/columns/{id}/": {"get", "patch", "delete"},
    "/api/v1/columns/{id}/move/": {"post"},
    "/api/v1/cards/": {"get", "post"},
    "/api/v1/cards/{id}/": {"get", "patch", "delete"},
    "/api/v1/cards/{id}/move/": {"post"},
    "/api/v1/comments/": {"get", "post"},
    "/api/v1/comments/{id}/": {"get", "patch", "delete"},
    "/api/v1/comments/{id}/hide/": {"post"},
    "/api/v1/comments/{id}/unhide/": {"post"},
    "/api/v1/comments/{id}/reactions/": {"post"},
    "/api/v1/reports/": {"post"},
}


@pytest.fixture
def schema(api, db):
    response = api.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_lists_every_route_of_the_contract(schema):
    assert schema["openapi"].startswith("3.")
    paths = {
        path: {m for m in ops if m in {"get", "post", "patch", "put", "delete"}}
        for path, ops in schema["paths"].items()
    }
    assert paths == CONTRACT


def test_schema_documents_auth_errors_and_concurrency(schema):
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    patch = schema["paths"]["/api/v1/cards/{id}/"]["patch"]
    assert {"401", "404", "412", "429"} <= set(patch["responses"])
    assert patch["responses"]["412"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Error"
    )
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    for response in patch["responses"].values():  # on every response of every operation
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            response["headers"]
        )
    card_list = schema["paths"]["/api/v1/cards/"]["get"]
    assert {p["name"] for p in card_list["parameters"]} >= {
        "board",
        "column",
        "archived",
        "page",
        "page_size",
    }
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "error",
        "message",
        "detail",
    }
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert "security" not in schema  # no global requirement: each operation states its own
    assert login.get("security", []) in ([], [{}])
    assert {"tokenAuth": []} in patch["security"] and {"cookieAuth": []} in patch["security"]


def test_schema_is_valid_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_docs_page_is_served_without_cdn(api, db):
    response = api.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)=["'](https?:)?//""", html)
    assert external == []
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
        assert cdn not in html
    # No inline script: the Content-Security-Policy allows scripts from 'self' only.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    script = api.get(f"{API}/docs/", {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
    assert f"{API}/schema/" in script.content.decode()
    # The assets come from the sidecar package, through the static files.
    for asset in re.findall(r"""(?:src|href)=["']/static/([^"']+)["']""", html):
        assert finders.find(asset), asset
