"""Webhooks over REST: who manages them, what is refused, the secret shown once."""

from __future__ import annotations

from typing import Any

import pytest

from collab.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for
from tests.factories import make_card

pytestmark = pytest.mark.django_db


def _url(team: Team, rest: str = "") -> str:
    return f"{API}/workspaces/{team.board.workspace_id}/webhooks/{rest}"


def _create(client: Any, team: Team, **body: Any) -> Any:
    payload = {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"], **body}
    return client.post(_url(team), payload, format="json")


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True


def test_an_admin_creates_a_webhook_and_sees_the_secret_once(team: Team) -> None:
    admin = client_for(team.admin)
    created = _create(admin, team, event_types=["card.updated", "card.created", "card.created"])
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) == 38
    assert body["event_types"] == ["card.created", "card.updated"]
    assert body["active"] is True and body["secret_rotated"] is False

    listed = admin.get(_url(team)).json()["results"]
    assert [hook["id"] for hook in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in admin.get(_url(team, f"{body['id']}/")).json()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_may_not_manage_webhooks(team: Team, role: str) -> None:
    client = client_for(team.user(role))
    assert_error(client.get(_url(team)), 403, "forbidden")
    assert_error(_create(client, team), 403, "forbidden")


def test_outsiders_are_told_the_workspace_does_not_exist(team: Team) -> None:
    hook_id = _create(client_for(team.owner), team).json()["id"]
    outsider = client_for(team.outsider)
    assert_error(outsider.get(_url(team)), 404, "not_found")
    assert_error(
        outsider.patch(_url(team, f"{hook_id}/"), {"active": False}, format="json"),
        404,
        "not_found",
    )
    assert_error(outsider.get(_url(team, f"{hook_id}/deliveries/")), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "http://does-not-exist.invalid/"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["card.exploded"]}, "event_types"),
        ({"event_types": "card.created"}, "event_types"),
        ({"active": "yes"}, "active"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_bad_input_is_a_400_on_the_field(team: Team, body: dict[str, Any], field: str) -> None:
    response = _create(client_for(team.owner), team, **body)
    error = assert_error(response, 400, "invalid")
    assert field in error["detail"], error
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8000/hooks",  # a hostname that resolves to 127.0.0.1
        "http://[::1]/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
        "http://224.0.0.1/hooks",
        "http://100.100.100.200/",  # shared address space (Alibaba's metadata)
    ],
)
def test_private_targets_are_refused_at_save_time(team: Team, settings: Any, url: str) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    error = assert_error(_create(client_for(team.owner), team, url=url), 400, "invalid")
    assert "WEBHOOK_ALLOW_PRIVATE" in error["detail"]["url"][0]


def test_patch_rotate_and_delete(team: Team, settings: Any) -> None:
    owner = client_for(team.owner)
    hook = _create(owner, team).json()
    item = _url(team, f"{hook['id']}/")
    patched = owner.patch(item, {"active": False, "description": "CI"}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert_error(owner.patch(item, {}, format="json"), 400, "invalid")

    rotated = owner.post(_url(team, f"{hook['id']}/rotate-secret/"))
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != hook["secret"] and rotated.json()["secret_rotated"] is True
    endpoint = WebhookEndpoint.objects.get(pk=hook["id"])
    assert endpoint.previous_secret == hook["secret"]

    assert owner.delete(item).status_code == 204
    assert_error(owner.get(item), 404, "not_found")


def test_events_become_deliveries_listed_with_their_attempts(team: Team) -> None:
    owner = client_for(team.owner)
    hook = _create(owner, team, event_types=["card.created"]).json()
    make_card(team.member, team.todo, "One")
    make_card(team.member, team.todo, "Two")
    deliveries = owner.get(_url(team, f"{hook['id']}/deliveries/")).json()["results"]
    assert [d["event_name"] for d in deliveries] == ["card.created", "card.created"]
    assert deliveries[0]["seq"] > deliveries[1]["seq"]  # newest first
    assert all(d["state"] == "pending" and d["attempt_log"] == [] for d in deliveries)
    assert all(d["message_id"].startswith("msg_") for d in deliveries)
    only = owner.get(_url(team, f"{hook['id']}/deliveries/?state=delivered")).json()["results"]
    assert only == []
    assert_error(owner.get(_url(team, f"{hook['id']}/deliveries/?state=lost")), 400, "invalid")


def test_redeliver_one_and_everything_since_a_seq(team: Team) -> None:
    owner = client_for(team.owner)
    make_card(team.member, team.todo, "Before the webhook existed")
    hook = _create(owner, team, event_types=["card.created"]).json()
    make_card(team.member, team.todo, "After")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, attempts=8)

    one = owner.post(_url(team, f"{hook['id']}/deliveries/{delivery.pk}/redeliver/"))
    assert one.status_code == 202 and one.json()["state"] == "pending"
    assert one.json()["attempts"] == 0 and one.json()["message_id"] == delivery.message_id

    since = owner.post(
        _url(team, f"{hook['id']}/redeliver/"), {"board": team.board.pk, "since": 0}, format="json"
    )
    assert since.status_code == 202 and since.json() == {"queued": 2}
    # The event from before the webhook existed has a delivery now, in seq order.
    seqs = list(WebhookDelivery.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == 2 and seqs[0] < seqs[1]

    other = owner.post(_url(team, f"{hook['id']}/deliveries/999999/redeliver/"))
    assert_error(other, 404, "not_found")
    assert_error(
        owner.post(
            _url(team, f"{hook['id']}/redeliver/"), {"board": "1", "since": 0}, format="json"
        ),
        400,
        "invalid",
    )


def test_a_member_cannot_redeliver(team: Team) -> None:
    hook = _create(client_for(team.owner), team).json()
    member = client_for(team.member)
    response = member.post(
        _url(team, f"{hook['id']}/redeliver/"), {"board": team.board.pk, "since": 0}, format="json"
    )
    assert_error(response, 403, "forbidden")
