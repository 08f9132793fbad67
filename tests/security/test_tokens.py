"""Personal access tokens: scopes, revocation, expiry, suspension, and where they may travel."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from collab.services.users import user_set_active
from tests.api.conftest import assert_error
from tests.factories import PASSWORD, make_card, make_token
from tests.security.conftest import bearer
from tests.security.state import db_state

API = "/api/v1"

WRITES = [
    ("create-card", "post", "/cards/", {"column": "{todo}", "title": "x"}),
    ("edit-card", "patch", "/cards/{card}/", {"title": "x"}),
    ("move-card", "post", "/cards/{card}/move/", {"column": "{done}"}),
    ("delete-card", "delete", "/cards/{card}/", None),
    ("comment", "post", "/comments/", {"card": "{card}", "body": "x"}),
    ("create-board", "post", "/boards/", {"workspace": "{workspace}", "title": "x"}),
    ("lock-board", "post", "/boards/{board}/lock/", None),
    ("create-workspace", "post", "/workspaces/", {"name": "x"}),
    (
        "add-member",
        "post",
        "/workspaces/{workspace}/members/",
        {"username": "outsider", "role": "viewer"},
    ),
    ("report", "post", "/reports/", {"target_type": "card", "target_id": "{card}", "reason": "x"}),
]


def _fill(body, ids):
    if body is None:
        return None
    return {
        k: ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()
    }


@pytest.mark.parametrize(("name", "method", "path", "body"), WRITES, ids=[w[0] for w in WRITES])
def test_read_token_cannot_write(team, name, method, path, body):
    card = make_card(team.owner, team.todo, "Card")
    ids = {
        "workspace": team.workspace.pk,
        "board": team.board.pk,
        "todo": team.todo.pk,
        "done": team.done.pk,
        "card": card.pk,
    }
    client = bearer(team.owner, ("read",))
    before = db_state()
    response = getattr(client, method)(API + path.format(**ids), _fill(body, ids), format="json")
    assert_error(response, 403, "insufficient_scope")
    assert db_state() == before


def test_write_only_token_cannot_read(team):
    client = bearer(team.owner, ("write",))
    assert_error(client.get(f"{API}/boards/{team.board.pk}/snapshot/"), 403, "insufficient_scope")


def test_revoked_token_refused(team):
    token, plaintext = make_token(team.member)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(f"{API}/me/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_error(client.get(f"{API}/me/"), 401, "not_authenticated")


def test_expired_token_refused(team):
    token, plaintext = make_token(team.member)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")


def test_suspended_user_token_refused(team, django_capture_on_commit_callbacks):
    _, plaintext = make_token(team.member)
    team.owner.user_permissions.add(Permission.objects.get(codename="moderate"))
    moderator = type(team.owner).objects.get(pk=team.owner.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")


def test_token_cannot_mint_tokens(team):
    client = bearer(team.member)
    before = db_state()
    response = client.post(
        f"{API}/tokens/", {"name": "more", "scopes": ["read", "write"]}, format="json"
    )
    assert_error(response, 403, "session_required")
    assert db_state() == before


def test_token_cannot_list_or_revoke_tokens(team):
    token, _ = make_token(team.member, name="other")
    client = bearer(team.member)
    assert_error(client.get(f"{API}/tokens/"), 403, "session_required")
    before = db_state()
    assert_error(client.delete(f"{API}/tokens/{token.pk}/"), 403, "session_required")
    assert db_state() == before


def test_token_in_query_string_is_not_accepted(team):
    """Tokens in URLs end up in logs and browser history: only the header counts."""
    _, plaintext = make_token(team.member)
    for parameter in ("token", "access_token", "auth", "bearer"):
        assert_error(
            APIClient().get(f"{API}/me/?{parameter}={plaintext}"), 401, "not_authenticated"
        )


def test_token_in_a_cookie_is_not_accepted(team):
    _, plaintext = make_token(team.member)
    client = APIClient()
    client.cookies["token"] = plaintext
    client.cookies["sessionid"] = plaintext
    assert_error(client.get(f"{API}/me/"), 401, "not_authenticated")


def test_basic_auth_with_the_password_is_not_accepted(team):
    """The API takes tokens or sessions; a password must never work as an API credential."""
    credentials = base64.b64encode(f"member:{PASSWORD}".encode()).decode()
    response = APIClient(HTTP_AUTHORIZATION=f"Basic {credentials}").get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token {t}", id="other-keyword"),
        pytest.param("Bearer {t} extra", id="trailing-garbage"),
        pytest.param("Bearer {t}x", id="altered-token"),
        pytest.param("Bearer " + "cbp_" + "a" * 500, id="oversized"),
        pytest.param("Bearer {prefix}", id="prefix-only"),
    ],
)
def test_forged_or_mangled_tokens_are_refused(team, header):
    token, plaintext = make_token(team.member)
    value = header.format(t=plaintext, prefix=token.prefix)
    response = APIClient(HTTP_AUTHORIZATION=value).get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")


def test_token_is_stored_only_as_a_digest(team):
    token, plaintext = make_token(team.member)
    stored = ApiToken.objects.get(pk=token.pk)
    assert plaintext not in str(db_state())
    assert stored.digest != plaintext and len(stored.prefix) < len(plaintext) // 2


def test_token_of_one_user_never_acts_as_another(team):
    _, plaintext = make_token(team.viewer)
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get(f"{API}/me/")
    assert response.json()["username"] == "viewer"
