"""Security headers on the app shell, the API and the admin; HTTPS behind a proxy.

CSP keeps injected markup from running script, X-Frame-Options and frame-ancestors stop
clickjacking, nosniff stops content-type confusion, and the referrer policy keeps board
URLs from leaking to linked sites.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import client_for

PAGES = [
    pytest.param("/", id="spa-root"),
    pytest.param("/b/1/c/2", id="spa-deep-link"),
    pytest.param("/api/v1/me/", id="api-401"),
    pytest.param("/api/v1/auth/csrf/", id="api-200"),
    pytest.param("/api/v1/nowhere/", id="api-404"),
    pytest.param("/api/v1/schema/", id="api-schema"),
    pytest.param("/api/v1/docs/", id="api-docs"),
    pytest.param("/admin/login/", id="admin-login"),
    pytest.param("/admin/", id="admin-redirect"),
]


@pytest.mark.parametrize("path", PAGES)
def test_clickjacking_sniffing_and_script_injection_headers_on_every_page(db, path):
    response = Client().get(path)
    assert response.status_code < 500
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert (
        "object-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'self'" in csp
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_admin_pages_of_a_signed_in_staff_user_carry_the_headers(admin_client):
    response = admin_client.get("/admin/collab/card/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_plain_http_is_redirected_to_https_behind_the_proxy(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/api/v1/auth/csrf/", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/auth/csrf/"
    secure = Client().get("/api/v1/auth/csrf/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_forged_forwarded_proto_is_ignored_without_a_trusted_proxy(db, settings):
    """A client claiming HTTPS in a header must not skip the redirect or get HSTS early."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    response = Client().get("/api/v1/auth/csrf/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


def test_secure_cookies_over_https(db, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = Client().get("/api/v1/auth/csrf/", secure=True)
    assert response.cookies["csrftoken"]["secure"]


def test_api_errors_are_json_not_html(db):
    """Error pages that echo input as HTML would be an injection point."""
    response = Client().get("/api/v1/<script>alert(1)</script>/")
    assert response["Content-Type"] == "application/json"
    assert "<script>" not in response.content.decode()


def _no_store(response) -> None:
    assert response["Cache-Control"] == "no-store", (response.status_code, response.headers)


def test_secret_bearing_responses_are_never_stored(team, session_for):
    """A plaintext token or a socket ticket must not land in a browser or proxy cache."""
    browser = session_for(team.member)
    created = browser.post(
        "/api/v1/tokens/",
        {"name": "ci", "scopes": ["read"]},
        format="json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert created.status_code == 201, created.content
    _no_store(created)
    _no_store(browser.get("/api/v1/tokens/"))
    ticket = client_for(team.member).post("/api/v1/auth/ws-ticket/")
    assert ticket.status_code == 200
    _no_store(ticket)


def test_private_reads_and_errors_are_never_stored(team):
    member = client_for(team.member)
    board = member.get(f"/api/v1/boards/{team.board.pk}/")
    assert board.status_code == 200
    _no_store(board)
    _no_store(member.get(f"/api/v1/boards/{team.board.pk}/snapshot/"))
    _no_store(member.get("/api/v1/me/"))
    for response in (
        client_for(team.outsider).get(f"/api/v1/boards/{team.board.pk}/"),  # 404
        client_for(None).get("/api/v1/me/"),  # 401
        member.post("/api/v1/cards/", {"title": ""}, format="json"),  # 400
        member.get("/api/v1/nowhere/"),  # no route
    ):
        assert response.status_code >= 400
        _no_store(response)


def test_the_api_schema_stays_cacheable(db):
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
