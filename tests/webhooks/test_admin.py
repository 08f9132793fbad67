"""Webhooks in the admin: added and changed through the services, the delivery log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from collab.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from collab.services.webhooks import webhook_create
from tests.conftest import Team
from tests.factories import make_card, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _add(root: Client, team: Team, url: str) -> Any:
    return root.post(
        reverse("admin:collab_webhookendpoint_add"),
        {
            "workspace": team.board.workspace_id,
            "url": url,
            "description": "From the admin",
            "event_types": ["card.created"],
            "active": "on",
        },
        follow=True,
    )


def test_a_superuser_adds_a_webhook_and_sees_its_secret_once(
    root: Client, team: Team, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = _add(root, team, "http://127.0.0.1:9/hooks")
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["card.created"] and endpoint.created_by is not None
    assert f"Signing secret (shown this once): {endpoint.secret}" in response.content.decode()
    page = root.get(reverse("admin:collab_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in page.content.decode()


def test_a_private_target_is_refused_on_the_form(root: Client, team: Team) -> None:
    response = _add(root, team, "http://localhost/hooks")
    assert response.status_code == 200
    assert "private or reserved address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotate_and_redeliver_actions(root: Client, team: Team, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    endpoint, secret = webhook_create(
        actor=team.owner,
        workspace_id=team.board.workspace_id,
        url="http://127.0.0.1:9/",
        event_types=["*"],
    )
    rotated = root.post(
        reverse("admin:collab_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == secret and endpoint.secret in rotated.content.decode()

    make_card(team.member, team.todo, "Logged")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED)
    log = root.get(reverse("admin:collab_webhookdelivery_change", args=[delivery.pk]))
    assert log.status_code == 200
    root.post(
        reverse("admin:collab_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


def test_redeliver_since_a_seq_from_the_admin(root: Client, team: Team, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    make_card(team.member, team.todo, "Before the webhook")
    endpoint, _ = webhook_create(
        actor=team.owner,
        workspace_id=team.board.workspace_id,
        url="http://127.0.0.1:9/",
        event_types=["card.created"],
    )
    changelist = reverse("admin:collab_webhookendpoint_changelist")
    asked = root.post(changelist, {"action": "redeliver_since", "_selected_action": [endpoint.pk]})
    assert asked.status_code == 200 and "Redeliver since a seq" in asked.content.decode()
    done = root.post(
        changelist,
        {
            "action": "redeliver_since",
            "_selected_action": [endpoint.pk],
            "apply": "yes",
            "board": team.board.pk,
            "since": 0,
        },
        follow=True,
    )
    assert "1 queued." in done.content.decode()
    assert (
        WebhookDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).count() == 1
    )
