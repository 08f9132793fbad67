"""Browser sessions: fixation, CSRF on every session write (login included), cookies.

Another site can make a signed-in browser send requests with its cookies; the CSRF
token (readable only by our own pages) and the Origin check stop those requests before
anything is written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from rest_framework.test import APIClient

import project.settings as production_settings
from collab.services.webhooks import webhook_create
from tests.api.conftest import assert_error, csrf, session_login
from tests.factories import PASSWORD, make_card, make_comment
from tests.security.conftest import API, send
from tests.security.state import db_state


def test_session_fixation_login_rotates_session_key(team):
    """A session id planted before login (by an attacker) is never the signed-in one."""
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert session_login(client, team.member.username).status_code == 200
    signed_in = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    # The attacker's copy of the planted id is worth nothing.
    attacker = APIClient()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert attacker.get(f"{API}/me/").status_code == 401


def test_session_fixation_with_an_invented_session_id_is_ignored(team):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = "attackerchosenvalue0123456789abcdef"
    assert session_login(client, team.member.username).status_code == 200
    assert (
        client.cookies[settings.SESSION_COOKIE_NAME].value != "attackerchosenvalue0123456789abcdef"
    )


def test_login_rotates_the_csrf_token(team):
    client = APIClient(enforce_csrf_checks=True)
    client.get(f"{API}/auth/csrf/")
    before = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert session_login(client, team.member.username).status_code == 200
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != before


def test_logout_kills_the_old_session_cookie(team, session_for):
    client = session_for(team.member)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(f"{API}/auth/logout/", **csrf(client)).status_code == 204
    replay = APIClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert replay.get(f"{API}/me/").status_code == 401


def test_csrf_required_for_login(api, team):
    """Login CSRF: another site must not sign the victim in to the attacker's account."""
    api.get(f"{API}/auth/csrf/")
    response = api.post(
        f"{API}/auth/login/", {"username": "member", "password": PASSWORD}, format="json"
    )
    assert_error(response, 403, "forbidden")
    assert settings.SESSION_COOKIE_NAME not in api.cookies


def test_csrf_required_for_signup(api, db):
    api.get(f"{API}/auth/csrf/")
    response = api.post(
        f"{API}/auth/signup/",
        {"username": "mallory", "password": "a-long-unusual-password-1"},
        format="json",
    )
    assert_error(response, 403, "forbidden")


def test_csrf_required_for_logout(team, session_for):
    """Forced logout from another site is refused too."""
    client = session_for(team.member)
    assert_error(client.post(f"{API}/auth/logout/"), 403, "forbidden")
    assert client.get(f"{API}/me/").status_code == 200


def test_csrf_required_for_ws_ticket(team, session_for):
    """A ticket minted by another site's request would let that site open a socket."""
    client = session_for(team.member)
    assert_error(client.post(f"{API}/auth/ws-ticket/"), 403, "forbidden")


SESSION_WRITES = [
    ("create-workspace", "POST", "/workspaces/", {"name": "x"}),
    ("rename-workspace", "PATCH", "/workspaces/{workspace}/", {"name": "x"}),
    ("delete-workspace", "DELETE", "/workspaces/{workspace}/", None),
    (
        "add-member",
        "POST",
        "/workspaces/{workspace}/members/",
        {"username": "outsider", "role": "admin"},
    ),
    ("change-member", "PATCH", "/workspaces/{workspace}/members/{member}/", {"role": "admin"}),
    ("remove-member", "DELETE", "/workspaces/{workspace}/members/{member}/", None),
    ("create-board", "POST", "/boards/", {"workspace": "{workspace}", "title": "x"}),
    ("rename-board", "PATCH", "/boards/{board}/", {"title": "x"}),
    ("lock-board", "POST", "/boards/{board}/lock/", None),
    ("delete-board", "DELETE", "/boards/{board}/", None),
    ("create-column", "POST", "/columns/", {"board": "{board}", "title": "x"}),
    ("move-column", "POST", "/columns/{todo}/move/", {}),
    ("delete-column", "DELETE", "/columns/{todo}/", None),
    ("create-label", "POST", "/labels/", {"board": "{board}", "name": "x"}),
    ("create-card", "POST", "/cards/", {"column": "{todo}", "title": "x"}),
    ("edit-card", "PATCH", "/cards/{card}/", {"title": "x"}),
    ("move-card", "POST", "/cards/{card}/move/", {"column": "{done}"}),
    ("delete-card", "DELETE", "/cards/{card}/", None),
    ("comment", "POST", "/comments/", {"card": "{card}", "body": "x"}),
    ("edit-comment", "PATCH", "/comments/{comment}/", {"body": "x"}),
    ("hide-comment", "POST", "/comments/{comment}/hide/", None),
    ("react", "POST", "/comments/{comment}/reactions/", {"reaction": "+1"}),
    ("delete-comment", "DELETE", "/comments/{comment}/", None),
    ("report", "POST", "/reports/", {"target_type": "card", "target_id": "{card}", "reason": "x"}),
    ("create-token", "POST", "/tokens/", {"name": "x", "scopes": ["read", "write"]}),
    ("revoke-token", "DELETE", "/tokens/{token}/", None),
    (
        "create-webhook",
        "POST",
        "/workspaces/{workspace}/webhooks/",
        {"url": "http://127.0.0.1:9/", "event_types": ["*"]},
    ),
    ("edit-webhook", "PATCH", "/workspaces/{workspace}/webhooks/{webhook}/", {"active": False}),
    ("rotate-webhook", "POST", "/workspaces/{workspace}/webhooks/{webhook}/rotate-secret/", None),
    (
        "redeliver-webhook",
        "POST",
        "/workspaces/{workspace}/webhooks/{webhook}/redeliver/",
        {"board": "{board}", "since": 0},
    ),
    ("watch-card", "POST", "/cards/{card}/watch/", None),
    ("unwatch-board", "DELETE", "/boards/{board}/watch/", None),
    ("read-all-notifications", "POST", "/notifications/read-all/", None),
    ("delete-webhook", "DELETE", "/workspaces/{workspace}/webhooks/{webhook}/", None),
]


@pytest.fixture
def owner_session(team, session_for) -> tuple[APIClient, dict[str, int]]:
    card = make_card(team.owner, team.todo, "Card")
    comment = make_comment(team.owner, card, "Words")
    client = session_for(team.owner)
    response = client.post(
        f"{API}/tokens/", {"name": "t", "scopes": ["read"]}, format="json", **csrf(client)
    )
    ids = {
        "workspace": team.workspace.pk,
        "board": team.board.pk,
        "todo": team.todo.pk,
        "done": team.done.pk,
        "member": team.member.pk,
        "card": card.pk,
        "comment": comment.pk,
        "token": response.json()["id"],
        "webhook": _webhook(team).pk,
    }
    return client, ids


def _webhook(team: Any) -> Any:
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        webhook, _ = webhook_create(
            actor=team.owner,
            workspace_id=team.workspace.pk,
            url="http://127.0.0.1:9/",
            event_types=["*"],
        )
    return webhook


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), SESSION_WRITES, ids=[w[0] for w in SESSION_WRITES]
)
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_csrf_required_for_every_session_write(owner_session, name, method, path, body, token):
    client, ids = owner_session
    headers = {"HTTP_X_CSRFTOKEN": "x" * 32} if token == "wrong" else {}
    before = db_state()
    response = send(client, method, path, body, ids, **headers)
    assert_error(response, 403, "forbidden")
    assert "CSRF" in response.json()["message"]
    assert db_state() == before


def test_cross_origin_write_with_a_valid_csrf_token_is_refused(owner_session):
    """Even a leaked token does not help another origin: Django checks Origin too."""
    client, ids = owner_session
    before = db_state()
    response = client.post(
        f"{API}/cards/",
        {"column": ids["todo"], "title": "x"},
        format="json",
        HTTP_ORIGIN="http://evil.example",
        **csrf(client),
    )
    assert_error(response, 403, "forbidden")
    assert db_state() == before


def test_same_origin_write_with_the_csrf_token_succeeds(owner_session):
    """The control: the real app's request passes."""
    client, ids = owner_session
    response = client.post(
        f"{API}/cards/",
        {"column": ids["todo"], "title": "x"},
        format="json",
        HTTP_ORIGIN="http://testserver",
        **csrf(client),
    )
    assert response.status_code == 201, response.content


def test_session_cookie_is_httponly_and_samesite(api, team):
    response = session_login(api, team.member.username)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert response.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"


def test_password_is_never_echoed_or_stored_in_plaintext(api, db):
    api.get(f"{API}/auth/csrf/")
    password = "a-long-unusual-password-7"
    response = api.post(
        f"{API}/auth/signup/",
        {"username": "newbie", "password": password},
        format="json",
        **csrf(api),
    )
    assert response.status_code == 201
    assert password not in response.content.decode()
    assert password not in json.dumps(db_state(), default=str)


def test_passwords_are_hashed_with_argon2_in_production():
    """The tests use a fast hasher; production settings must not."""
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
