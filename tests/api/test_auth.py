"""Session auth, CSRF, sign-up, log-in throttling, socket tickets, me, and the error shape."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.test import APIClient

from accounts.tickets import ticket_redeem
from api.throttling import SignupThrottle, UserThrottle
from collab.services.users import user_set_active
from tests.api.conftest import API, assert_error, csrf, session_login
from tests.conftest import client_for
from tests.factories import PASSWORD, make_user

User = get_user_model()


def login_body(username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"username": username, "password": password}


# CSRF and log-in


def test_csrf_route_sets_the_cookie_and_returns_the_token(api, db):
    response = api.get(f"{API}/auth/csrf/")
    assert response.status_code == 200
    assert response.json()["csrf_token"]
    assert api.cookies[settings.CSRF_COOKIE_NAME].value


def test_login_without_csrf_token_is_refused(api, team):
    api.get(f"{API}/auth/csrf/")
    response = api.post(f"{API}/auth/login/", login_body("member"), format="json")
    assert_error(response, 403, "forbidden")
    assert "CSRF" in response.json()["message"]
    assert "sessionid" not in api.cookies or not api.cookies["sessionid"].value


def test_login_with_csrf_starts_a_session(api, team):
    response = session_login(api, "member")
    assert response.status_code == 200
    assert response.json()["username"] == "member"
    assert api.cookies[settings.SESSION_COOKIE_NAME].value
    assert api.get(f"{API}/me/").json()["username"] == "member"


def test_login_rotates_the_session_key_and_the_csrf_token(api, team):
    # A session planted before log-in (session fixation) must not survive it.
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    api.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    api.get(f"{API}/auth/csrf/")
    old_csrf = csrf(api)
    response = api.post(f"{API}/auth/login/", login_body("member"), format="json", **old_csrf)
    assert response.status_code == 200
    assert api.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    # A write with the pre-login token fails: the token rotated at log-in.
    response = api.post(f"{API}/workspaces/", {"name": "X"}, format="json", **old_csrf)
    assert_error(response, 403, "forbidden")
    assert (
        api.post(f"{API}/workspaces/", {"name": "X"}, format="json", **csrf(api)).status_code == 201
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [("member", "wrong-password"), ("nobody", PASSWORD), ("MEMBER", "nope")],
)
def test_wrong_credentials_are_a_400(api, team, username, password):
    response = session_login(api, username, password)
    assert_error(response, 400, "invalid_credentials")


def test_suspended_user_cannot_log_in(api, team, django_capture_on_commit_callbacks):
    moderator = make_user("mod", is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)
    assert_error(session_login(api, "member"), 400, "invalid_credentials")


def test_login_validates_types_and_unknown_fields(api, team):
    api.get(f"{API}/auth/csrf/")
    response = api.post(
        f"{API}/auth/login/",
        {"username": 5, "password": PASSWORD, "remember": True},
        format="json",
        **csrf(api),
    )
    body = assert_error(response, 400, "invalid")
    assert body["detail"] == {"remember": ["Unknown field."]}
    response = api.post(
        f"{API}/auth/login/", {"username": 5, "password": PASSWORD}, format="json", **csrf(api)
    )
    assert assert_error(response, 400, "invalid")["detail"] == {"username": ["Must be a string."]}


def test_login_throttle_per_address(api, team):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(rate):
        assert session_login(api, f"guess{i}", "x").status_code == 400
    response = session_login(api, "member")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Another address is not affected.
    other = APIClient(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.2")
    assert session_login(other, "member").status_code == 200


def test_login_throttle_per_username_across_addresses(team):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(rate):
        client = APIClient(enforce_csrf_checks=True, REMOTE_ADDR=f"10.1.0.{i + 1}")
        assert session_login(client, "Member", "wrong").status_code == 400
    fresh = APIClient(enforce_csrf_checks=True, REMOTE_ADDR="10.2.0.1")
    response = session_login(fresh, "member")
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    # Other accounts can still be reached from that address.
    assert session_login(fresh, "viewer").status_code == 200


def test_forwarded_for_header_does_not_dodge_the_throttle(api, team):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(rate + 1):
        response = session_login(api, f"guess{i}", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert response.status_code == 429


# Sign-up and log-out


def test_signup_creates_the_account_and_signs_in(api, db):
    api.get(f"{API}/auth/csrf/")
    body = {"username": "newbie", "email": "newbie@example.com", "password": "a-long-passphrase-1"}
    response = api.post(f"{API}/auth/signup/", body, format="json", **csrf(api))
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "newbie"
    assert api.get(f"{API}/me/").json()["username"] == "newbie"
    assert User.objects.get(username="newbie").check_password("a-long-passphrase-1")


def test_signup_requires_csrf(api, db):
    api.get(f"{API}/auth/csrf/")
    body = {"username": "newbie", "email": "n@example.com", "password": "a-long-passphrase-1"}
    assert_error(api.post(f"{API}/auth/signup/", body, format="json"), 403, "forbidden")
    assert not User.objects.filter(username="newbie").exists()


def test_signup_errors(api, team):
    api.get(f"{API}/auth/csrf/")
    taken = {"username": "member", "email": "m@example.com", "password": "a-long-passphrase-1"}
    assert_error(
        api.post(f"{API}/auth/signup/", taken, format="json", **csrf(api)), 409, "conflict"
    )
    weak = {"username": "weakling", "email": "w@example.com", "password": "123"}
    body = assert_error(
        api.post(f"{API}/auth/signup/", weak, format="json", **csrf(api)), 400, "invalid"
    )
    assert "password" in body["detail"]
    bad_type = {"username": ["x"], "password": "a-long-passphrase-1"}
    body = assert_error(
        api.post(f"{API}/auth/signup/", bad_type, format="json", **csrf(api)), 400, "invalid"
    )
    assert "username" in body["detail"]


def test_signup_can_be_switched_off(api, db, settings):
    settings.ALLOW_SIGNUP = False
    api.get(f"{API}/auth/csrf/")
    body = {"username": "newbie", "email": "n@example.com", "password": "a-long-passphrase-1"}
    assert_error(
        api.post(f"{API}/auth/signup/", body, format="json", **csrf(api)), 403, "forbidden"
    )
    assert not User.objects.filter(username="newbie").exists()


def test_logout_ends_the_session(session_for, team):
    client = session_for(team.member)
    assert_error(client.post(f"{API}/auth/logout/"), 403, "forbidden")  # CSRF still applies
    assert client.post(f"{API}/auth/logout/", **csrf(client)).status_code == 204
    assert_error(client.get(f"{API}/me/"), 401, "not_authenticated")


def test_session_writes_need_csrf(session_for, team):
    client = session_for(team.member)
    response = client.post(f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json")
    assert_error(response, 403, "forbidden")
    response = client.post(
        f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json", **csrf(client)
    )
    assert response.status_code == 201


# Socket tickets and me


def test_ws_ticket_with_a_session(session_for, team):
    client = session_for(team.viewer)
    response = client.post(f"{API}/auth/ws-ticket/", **csrf(client))
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == settings.WS_TICKET_TTL_SECONDS
    assert ticket_redeem(body["ticket"]) == team.viewer.pk
    assert ticket_redeem(body["ticket"]) is None  # single use


def test_ws_ticket_with_a_read_only_token(team):
    response = client_for(team.member, token_scopes=("read",)).post(f"{API}/auth/ws-ticket/")
    assert response.status_code == 200
    assert ticket_redeem(response.json()["ticket"]) == team.member.pk


def test_ws_ticket_needs_authentication(api, db):
    assert_error(api.post(f"{API}/auth/ws-ticket/"), 401, "not_authenticated")


def test_me(team):
    body = client_for(team.member).get(f"{API}/me/").json()
    assert body["id"] == team.member.pk
    assert body["username"] == "member"
    assert "password" not in body


def test_anonymous_gets_401_with_a_challenge(api, db):
    response = api.get(f"{API}/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_suspended_user_is_cut_off(team, session_for, django_capture_on_commit_callbacks):
    token_client = client_for(team.member)
    session_client = session_for(team.member)
    moderator = make_user("mod", is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)
    assert_error(token_client.get(f"{API}/me/"), 401, "not_authenticated")
    assert_error(session_client.get(f"{API}/me/"), 401, "not_authenticated")


# Bodies, routes and methods


def test_malformed_json_is_a_400(team):
    client = client_for(team.member)
    response = client.generic("POST", f"{API}/cards/", "{not json", content_type="application/json")
    assert_error(response, 400, "bad_request")
    response = client.generic(
        "POST", f"{API}/cards/", '{"title": NaN}', content_type="application/json"
    )
    assert_error(response, 400, "bad_request")
    response = client.generic("POST", f"{API}/cards/", b"\xff\xfe", content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_deeply_nested_json_is_a_400_not_a_500(team):
    body = "[" * 200_000 + "]" * 200_000
    response = client_for(team.member).generic(
        "POST", f"{API}/cards/", body, content_type="application/json"
    )
    assert_error(response, 400, "bad_request")


def test_non_object_body_is_a_400(team):
    response = client_for(team.member).post(f"{API}/cards/", [1, 2], format="json")
    body = assert_error(response, 400, "invalid")
    assert "non_field_errors" in body["detail"]


def test_oversized_body_is_a_413(team):
    filler = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    body = json.dumps({"column": team.todo.pk, "title": filler})
    response = client_for(team.member).generic(
        "POST", f"{API}/cards/", body, content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_form_bodies_are_unsupported(team):
    response = client_for(team.member).generic(
        "POST", f"{API}/workspaces/", "name=X", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_unknown_route_and_method(team):
    client = client_for(team.member)
    assert_error(client.get(f"{API}/nothing-here/"), 404, "not_found")
    assert_error(client.get(f"{API}/boards"), 404, "not_found")
    assert_error(
        client.put(f"{API}/boards/{team.board.pk}/", {}, format="json"), 405, "method_not_allowed"
    )


def test_huge_ids_are_a_404_not_a_500(team):
    client = client_for(team.member)
    assert_error(client.get(f"{API}/cards/99999999999999999999999/"), 404, "not_found")
    response = client.post(f"{API}/cards/", {"column": 10**30, "title": "x"}, format="json")
    assert assert_error(response, 400, "invalid")["detail"].keys() == {"column"}


def test_options_describes_a_route_without_error(team):
    response = client_for(team.member).options(f"{API}/cards/")
    assert response.status_code == 200
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize("username", ["\ud800", "a\x00b", "x" * 10_000, " "])
def test_odd_usernames_are_refused_cleanly(api, db, username):
    api.get(f"{API}/auth/csrf/")
    response = api.generic(
        "POST",
        f"{API}/auth/login/",
        json.dumps({"username": username, "password": "x"}),
        content_type="application/json",
        **csrf(api),
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid", "invalid_credentials"}


def test_user_throttle_answers_429_with_retry_after(team, monkeypatch):
    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", {"user": "3/min"})
    client = client_for(team.member)
    statuses = [client.get(f"{API}/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}/me/")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another user has a budget of their own.
    assert client_for(team.viewer).get(f"{API}/me/").status_code == 200


def test_signup_throttle_per_address(api, db, monkeypatch):
    monkeypatch.setattr(SignupThrottle, "THROTTLE_RATES", {"signup": "2/hour"})
    api.get(f"{API}/auth/csrf/")
    statuses = []
    for i in range(3):
        body = {
            "username": f"new{i}",
            "email": f"n{i}@example.com",
            "password": "a-long-passphrase-1",
        }
        statuses.append(
            api.post(f"{API}/auth/signup/", body, format="json", **csrf(api)).status_code
        )
        api.post(f"{API}/auth/logout/", **csrf(api))
    assert statuses == [201, 201, 429]
    assert not User.objects.filter(username="new2").exists()
