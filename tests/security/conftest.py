"""Fixtures of the security suite: a rival workspace to attack, browser-like clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient

from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Label,
    Notification,
    WebhookDelivery,
    Workspace,
)
from collab.services.labels import label_create
from collab.services.webhooks import webhook_create
from tests.api.conftest import session_for  # noqa: F401 (a fixture shared with the API tests)
from tests.conftest import Team
from tests.factories import (
    add_member,
    make_board,
    make_card,
    make_column,
    make_comment,
    make_token,
    make_user,
    make_workspace,
)


@dataclass
class Rival:
    """Another team's workspace, with one of everything, that ``team`` must never reach."""

    owner: Any
    member: Any
    workspace: Workspace
    board: Board
    column: Column
    other_column: Column
    card: Card
    comment: Comment
    label: Label
    token_id: int
    webhook_id: int
    delivery_id: int
    notification_id: int

    def ids(self) -> dict[str, int]:
        """Return the ids of these objects under the "r*" placeholders of request paths."""
        return {
            "rw": self.workspace.pk,
            "rb": self.board.pk,
            "rc": self.column.pk,
            "rc2": self.other_column.pk,
            "rcard": self.card.pk,
            "rcomment": self.comment.pk,
            "rlabel": self.label.pk,
            "rmember": self.member.pk,
            "rtoken": self.token_id,
            "rwebhook": self.webhook_id,
            "rdelivery": self.delivery_id,
            "rnotification": self.notification_id,
        }


@pytest.fixture
def rival(team: Team) -> Rival:
    owner = make_user("rival")
    member = make_user("rivalmember")
    workspace = make_workspace(owner, "Rival Inc")
    add_member(workspace, owner, member)
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        webhook, _ = webhook_create(
            actor=owner,
            workspace_id=workspace.pk,
            url="http://127.0.0.1:9/secret",
            event_types=["*"],
        )
    board = make_board(owner, workspace, "Secret plans")
    column = make_column(owner, board, "Backlog")
    other_column = make_column(owner, board, "Doing")
    label = label_create(actor=owner, board_id=board.pk, name="secret", color="#aa0000")
    card = make_card(owner, column, "Secret card", assignees=[member.pk], labels=[label.pk])
    comment = make_comment(owner, card, "Secret comment")
    token, _ = make_token(owner)
    delivery = WebhookDelivery.objects.filter(endpoint=webhook).latest("id")
    return Rival(
        owner,
        member,
        workspace,
        board,
        column,
        other_column,
        card,
        comment,
        label,
        token.pk,
        webhook.pk,
        delivery.pk,
        Notification.objects.filter(user=member).latest("id").pk,
    )


API = "/api/v1"


@dataclass(frozen=True)
class Call:
    """One API request; "{key}" in its path and body stands for the id ``ids[key]``."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None


def fill(value: Any, ids: dict[str, int]) -> Any:
    """Return ``value`` with every "{key}" string, at any depth, replaced by ``ids[key]``."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def send(
    client: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    ids: dict[str, int],
    **extra: Any,
) -> Any:
    """Send ``body`` as JSON (empty if None) to ``API + path``, placeholders filled from ``ids``."""
    content = json.dumps(fill(body, ids)) if body is not None else ""
    return client.generic(
        method, API + path.format(**ids), content, content_type="application/json", **extra
    )


def bearer(user: Any, scopes: tuple[str, ...] = ("read", "write")) -> APIClient:
    """Return a client signed in with a fresh personal token of ``user``."""
    client = APIClient()
    _, plaintext = make_token(user, scopes)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture(autouse=True)
def _close_sync_thread_connections() -> Iterator[None]:
    """Close the database connection of asgiref's sync thread after each test.

    Socket code queries in that one thread, whose connection lingers until its next
    call there; left open after the last test, it keeps the test database from being
    dropped.
    """
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
