"""Personal access tokens: created with a session, shown once, scoped, revocable."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_digest
from tests.api.conftest import API, assert_error, csrf
from tests.conftest import client_for
from tests.factories import make_token


def bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_create_shows_the_plaintext_once(session_for, team):
    client = session_for(team.member)
    response = client.post(
        f"{API}/tokens/", {"name": "CI", "scopes": ["read", "write"]}, format="json", **csrf(client)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    plaintext = body["token"]
    assert plaintext.startswith("cbp_")
    assert body["scopes"] == ["read", "write"]
    assert body["name"] == "CI" and body["revoked"] is False
    assert plaintext.startswith(body["prefix"])
    # Stored hashed, never in clear.
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.digest == token_digest(plaintext) and plaintext not in stored.digest
    # The list shows it without the secret.
    listed = client.get(f"{API}/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]
    # And it works.
    assert bearer(plaintext).get(f"{API}/me/").json()["username"] == "member"


def test_create_with_expiry_and_validation(session_for, team):
    client = session_for(team.member)
    expires = (timezone.now() + timedelta(days=7)).isoformat()
    response = client.post(
        f"{API}/tokens/",
        {"name": "week", "scopes": ["read"], "expires_at": expires},
        format="json",
        **csrf(client),
    )
    assert response.status_code == 201
    assert response.json()["expires_at"] is not None
    bad = [
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "owner": 1}, "owner"),
    ]
    for payload, field in bad:
        body = assert_error(
            client.post(f"{API}/tokens/", payload, format="json", **csrf(client)), 400, "invalid"
        )
        assert field in body["detail"], (payload, body)


def test_a_token_cannot_manage_tokens(team):
    client = client_for(team.member)
    token, _ = make_token(team.member, name="other")
    assert_error(
        client.post(f"{API}/tokens/", {"name": "x", "scopes": ["read"]}, format="json"),
        403,
        "session_required",
    )
    assert_error(client.get(f"{API}/tokens/"), 403, "session_required")
    assert_error(client.delete(f"{API}/tokens/{token.pk}/"), 403, "session_required")
    assert ApiToken.objects.filter(user=team.member).count() == 2


def test_revoked_token_gets_401(session_for, team):
    token, plaintext = make_token(team.member)
    client = bearer(plaintext)
    assert client.get(f"{API}/me/").status_code == 200
    session = session_for(team.member)
    assert session.delete(f"{API}/tokens/{token.pk}/", **csrf(session)).status_code == 204
    assert_error(client.get(f"{API}/me/"), 401, "not_authenticated")
    listed = session.get(f"{API}/tokens/").json()["results"]
    assert listed[0]["revoked"] is True
    # Revoking again is harmless.
    assert session.delete(f"{API}/tokens/{token.pk}/", **csrf(session)).status_code == 204


def test_cannot_revoke_someone_elses_token(session_for, team):
    token, plaintext = make_token(team.owner)
    session = session_for(team.member)
    assert_error(session.delete(f"{API}/tokens/{token.pk}/", **csrf(session)), 404, "not_found")
    assert bearer(plaintext).get(f"{API}/me/").status_code == 200


def test_expired_token_gets_401(team):
    token, plaintext = make_token(team.member)
    # Expiry is set at creation and must lie in the future; age this one past it.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(bearer(plaintext).get(f"{API}/me/"), 401, "not_authenticated")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cbp_not-a-real-token",
        "Bearer",
        "Bearer a b",
        "Bearer not-our-format",
        "Bearer " + "cbp_" + "x" * 300,
    ],
)
def test_bad_bearer_headers_get_401(team, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_read_token_cannot_write(team):
    client = client_for(team.member, token_scopes=("read",))
    assert client.get(f"{API}/boards/{team.board.pk}/").status_code == 200
    response = client.post(f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json")
    assert_error(response, 403, "insufficient_scope")
    response = client.patch(f"{API}/boards/{team.board.pk}/", {"title": "y"}, format="json")
    assert_error(response, 403, "insufficient_scope")


def test_write_only_token_cannot_read(team):
    client = client_for(team.member, token_scopes=("write",))
    assert_error(client.get(f"{API}/boards/"), 403, "insufficient_scope")
    assert (
        client.post(
            f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json"
        ).status_code
        == 201
    )


def test_token_use_is_recorded(team):
    token, plaintext = make_token(team.member)
    assert token.last_used_at is None
    bearer(plaintext).get(f"{API}/me/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_does_not_need_csrf(team):
    # A token is not an ambient credential: no CSRF check, even with a session cookie around.
    client = client_for(team.member)
    client.cookies["sessionid"] = "irrelevant"
    assert (
        client.post(
            f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json"
        ).status_code
        == 201
    )


def test_create_token_command(team):
    out = StringIO()
    call_command("create_token", "member", "--name", "deploy", "--scopes", "read", stdout=out)
    plaintext = out.getvalue().strip()
    token = ApiToken.objects.get(digest=token_digest(plaintext))
    assert (token.user, token.name, token.scopes) == (team.member, "deploy", ["read"])
    assert bearer(plaintext).get(f"{API}/me/").json()["username"] == "member"
    with pytest.raises(CommandError):
        call_command("create_token", "ghost", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_token", "member", "--scopes", "admin", stdout=StringIO())
