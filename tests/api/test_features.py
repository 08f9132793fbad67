"""Feature flags in the API: ``features`` of the caller's account, flag by flag, fail-soft."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import waffle.models
from django.contrib.auth.models import Group
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient
from waffle.models import Flag
from waffle.testutils import override_flag

from tests.api.conftest import API, csrf, session_login
from tests.conftest import Team, client_for

FLAG = "activity_panel"


def _features(client: APIClient) -> dict[str, bool]:
    response = client.get(f"{API}/me/")
    assert response.status_code == 200, response.content
    return response.json()["features"]


def _rollout(**fields: Any) -> Flag:
    """Set the flag to a partial rollout (``everyone`` unknown) with ``fields``."""
    flag, _ = Flag.objects.update_or_create(
        name=FLAG, defaults={"everyone": None, "superusers": False, **fields}
    )
    flag.flush()  # the test's transaction never commits, so waffle's own flush never runs
    return flag


def test_the_migration_turns_the_flag_on_for_everyone(db: None) -> None:
    # A transactional test earlier in the run may have flushed the migrated row.
    flag = Flag.objects.filter(name=FLAG).first()
    assert flag is None or flag.everyone is True


@pytest.mark.parametrize("active", [True, False])
def test_me_reports_the_flag_as_it_is_set(team: Team, active: bool) -> None:
    with override_flag(FLAG, active=active):
        assert _features(client_for(team.member))[FLAG] is active


def test_log_in_and_sign_up_answer_with_the_features_too(api: APIClient, team: Team) -> None:
    with override_flag(FLAG, active=False):
        assert session_login(api, "member").json()["features"][FLAG] is False
    with override_flag(FLAG, active=True):
        anonymous = APIClient(enforce_csrf_checks=True)
        anonymous.get(f"{API}/auth/csrf/")
        body = {"username": "newbie", "password": "a-long-enough-passphrase-7"}
        response = anonymous.post(f"{API}/auth/signup/", body, format="json", **csrf(anonymous))
        assert response.status_code == 201, response.content
        assert response.json()["features"][FLAG] is True


def test_a_rollout_to_users_and_groups_reaches_only_them(team: Team) -> None:
    testers = Group.objects.create(name="Testers")
    team.viewer.groups.add(testers)
    flag = _rollout()
    flag.users.add(team.member)
    flag.groups.add(testers)
    flag.flush()

    assert _features(client_for(team.member))[FLAG] is True
    assert _features(client_for(team.viewer))[FLAG] is True
    assert _features(client_for(team.owner))[FLAG] is False


def test_the_events_endpoint_stays_available_with_the_flag_off(team: Team) -> None:
    with override_flag(FLAG, active=False):
        response = client_for(team.member).get(f"{API}/boards/{team.board.pk}/events/")
    assert response.status_code == 200
    assert response.json()["results"]


class _DownCache:
    """Waffle's cache while Redis is down: every call fails."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RedisConnectionError("Connection refused")

        return fail


@pytest.mark.parametrize(("everyone", "expected"), [(True, True), (False, False), (None, False)])
def test_with_the_cache_down_me_still_answers_and_everyone_decides(
    team: Team,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    everyone: bool | None,
    expected: bool,
) -> None:
    flag = _rollout(everyone=everyone)
    flag.users.add(team.member)  # a partial rollout reads as off while the cache is down
    monkeypatch.setattr(waffle.models, "get_cache", _DownCache)
    client = client_for(team.member)
    with caplog.at_level(logging.WARNING, logger="api.features"):
        assert _features(client)[FLAG] == expected
        assert _features(client)[FLAG] == expected
    # The outage is logged once, not once per request.
    warnings = [r for r in caplog.records if r.name == "api.features"]
    assert len(warnings) == 1 and "Cache unreachable" in warnings[0].getMessage()

    monkeypatch.undo()
    with caplog.at_level(logging.INFO, logger="api.features"):
        assert _features(client)[FLAG] == (True if everyone is None else expected)
    notes = [r.getMessage() for r in caplog.records if r.name == "api.features"]
    assert notes[-1] == "Cache reachable again: feature flags read normally."


def test_the_schema_documents_the_features(api: APIClient, db: None) -> None:
    schema = api.get(f"{API}/schema/", {"format": "json"}).json()
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]["200"]["content"]
    ref = me["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    account = schema["components"]["schemas"][ref]
    assert "features" in account["required"]
    [features_ref] = [part["$ref"] for part in account["properties"]["features"]["allOf"]]
    features_ref = features_ref.rsplit("/", 1)[-1]
    features = schema["components"]["schemas"][features_ref]
    assert features["properties"][FLAG]["type"] == "boolean"
    assert FLAG in features["required"]
    assert "collaborative_descriptions" in features["required"]
    for path, status in (("/api/v1/auth/login/", "200"), ("/api/v1/auth/signup/", "201")):
        content = schema["paths"][path]["post"]["responses"][status]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith(f"/{ref}")
