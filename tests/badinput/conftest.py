"""Fixtures of the bad-input suite: a board with saved content that must survive every request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections
from django.test import override_settings

from collab.models import Card, Comment, Label, WebhookDelivery, WebhookEndpoint
from collab.services.labels import label_create
from collab.services.webhooks import webhook_create
from tests.conftest import Team
from tests.factories import make_card, make_comment


@dataclass
class World:
    """The team's board with a card (assigned and labelled), a comment and a label."""

    team: Team
    card: Card
    comment: Comment
    label: Label
    webhook: WebhookEndpoint

    def ids(self) -> dict[str, int]:
        return {
            "workspace": self.team.workspace.pk,
            "board": self.team.board.pk,
            "column": self.team.todo.pk,
            "done": self.team.done.pk,
            "card": self.card.pk,
            "comment": self.comment.pk,
            "label": self.label.pk,
            "member": self.team.member.pk,
            "webhook": self.webhook.pk,
            "delivery": WebhookDelivery.objects.filter(endpoint=self.webhook).latest("id").pk,
        }


@pytest.fixture
def world(team: Team) -> World:
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        webhook, _ = webhook_create(
            actor=team.owner,
            workspace_id=team.workspace.pk,
            url="http://127.0.0.1:9/saved",
            event_types=["*"],
        )
    label = label_create(actor=team.owner, board_id=team.board.pk, name="bug", color="#ff0000")
    card = make_card(
        team.owner,
        team.todo,
        "Saved card",
        description="Saved *text*",
        assignees=[team.member.pk],
        labels=[label.pk],
    )
    comment = make_comment(team.member, card, "Saved comment")
    return World(team, card, comment, label, webhook)


@pytest.fixture(autouse=True)
def _close_sync_thread_connections() -> Iterator[None]:
    """Close the connection of asgiref's sync thread, which socket code leaves open."""
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


def assert_client_error(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    """Assert a 4xx in the one error shape (with ``status`` when given); return the body."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) <= {"error", "message", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    return body
