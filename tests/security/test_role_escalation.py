"""Privilege escalation between roles inside one workspace.

Viewers read; members write cards and comments; admins manage boards, columns, labels
and members below owner; only owners touch the owner role or delete the workspace.
Each attempt above one's role is a 403 in the error shape, and no row changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import assert_error
from tests.factories import make_card, make_comment
from tests.security.conftest import API, bearer, send
from tests.security.state import db_state


@dataclass(frozen=True)
class Escalation:
    role: str
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None


ESCALATIONS = [
    # viewer -> write
    Escalation("viewer", "create-card", "POST", "/cards/", {"column": "{todo}", "title": "x"}),
    Escalation("viewer", "edit-card", "PATCH", "/cards/{card}/", {"title": "x"}),
    Escalation("viewer", "move-card", "POST", "/cards/{card}/move/", {"column": "{done}"}),
    Escalation("viewer", "archive-card", "PATCH", "/cards/{card}/", {"archived": True}),
    Escalation("viewer", "delete-card", "DELETE", "/cards/{card}/"),
    Escalation("viewer", "comment", "POST", "/comments/", {"card": "{card}", "body": "x"}),
    Escalation("viewer", "react", "POST", "/comments/{comment}/reactions/", {"reaction": "+1"}),
    Escalation("viewer", "create-column", "POST", "/columns/", {"board": "{board}", "title": "x"}),
    # member -> manage columns, labels, the board, members
    Escalation("member", "create-column", "POST", "/columns/", {"board": "{board}", "title": "x"}),
    Escalation("member", "rename-column", "PATCH", "/columns/{todo}/", {"title": "x"}),
    Escalation("member", "move-column", "POST", "/columns/{todo}/move/", {}),
    Escalation("member", "delete-column", "DELETE", "/columns/{todo}/"),
    Escalation("member", "create-label", "POST", "/labels/", {"board": "{board}", "name": "x"}),
    Escalation("member", "rename-board", "PATCH", "/boards/{board}/", {"title": "x"}),
    Escalation("member", "lock-board", "POST", "/boards/{board}/lock/"),
    Escalation("member", "delete-board", "DELETE", "/boards/{board}/"),
    Escalation(
        "member", "create-board", "POST", "/boards/", {"workspace": "{workspace}", "title": "x"}
    ),
    Escalation("member", "rename-workspace", "PATCH", "/workspaces/{workspace}/", {"name": "x"}),
    Escalation(
        "member",
        "add-member",
        "POST",
        "/workspaces/{workspace}/members/",
        {"username": "outsider", "role": "viewer"},
    ),
    Escalation(
        "member",
        "promote-self",
        "PATCH",
        "/workspaces/{workspace}/members/{member}/",
        {"role": "admin"},
    ),
    Escalation(
        "member",
        "promote-viewer",
        "PATCH",
        "/workspaces/{workspace}/members/{viewer}/",
        {"role": "member"},
    ),
    Escalation("member", "remove-viewer", "DELETE", "/workspaces/{workspace}/members/{viewer}/"),
    Escalation("member", "list-webhooks", "GET", "/workspaces/{workspace}/webhooks/"),
    Escalation(
        "member",
        "add-webhook",
        "POST",
        "/workspaces/{workspace}/webhooks/",
        {"url": "http://127.0.0.1:9/", "event_types": ["*"]},
    ),
    Escalation("viewer", "list-webhooks", "GET", "/workspaces/{workspace}/webhooks/"),
    Escalation("member", "hide-comment", "POST", "/comments/{comment}/hide/", {"reason": "x"}),
    Escalation("member", "edit-others-comment", "PATCH", "/comments/{comment}/", {"body": "x"}),
    Escalation("member", "delete-others-comment", "DELETE", "/comments/{comment}/"),
    # admin -> owner
    Escalation(
        "admin",
        "grant-owner",
        "PATCH",
        "/workspaces/{workspace}/members/{member}/",
        {"role": "owner"},
    ),
    Escalation(
        "admin",
        "promote-self-to-owner",
        "PATCH",
        "/workspaces/{workspace}/members/{admin}/",
        {"role": "owner"},
    ),
    Escalation(
        "admin",
        "add-new-owner",
        "POST",
        "/workspaces/{workspace}/members/",
        {"username": "outsider", "role": "owner"},
    ),
    Escalation(
        "admin",
        "demote-owner",
        "PATCH",
        "/workspaces/{workspace}/members/{owner}/",
        {"role": "viewer"},
    ),
    Escalation("admin", "remove-owner", "DELETE", "/workspaces/{workspace}/members/{owner}/"),
    Escalation("admin", "delete-workspace", "DELETE", "/workspaces/{workspace}/"),
    Escalation("admin", "edit-others-comment", "PATCH", "/comments/{comment}/", {"body": "x"}),
]


@pytest.mark.parametrize("case", ESCALATIONS, ids=lambda c: f"{c.role}-{c.name}")
def test_role_cannot_act_above_itself(team, case):
    card = make_card(team.owner, team.todo, "Card")
    comment = make_comment(team.owner, card, "The owner's words")
    ids = {
        "workspace": team.workspace.pk,
        "board": team.board.pk,
        "todo": team.todo.pk,
        "done": team.done.pk,
        "card": card.pk,
        "comment": comment.pk,
        **{role: team.user(role).pk for role in ("owner", "admin", "member", "viewer")},
    }
    client = bearer(team.user(case.role))
    before = db_state()
    response = send(client, case.method, case.path, case.body, ids)
    assert_error(response, 403, "forbidden")
    assert db_state() == before


def test_locked_board_refuses_member_writes(team):
    card = make_card(team.owner, team.todo, "Card")
    assert bearer(team.owner).post(f"{API}/boards/{team.board.pk}/lock/").status_code == 200
    client = bearer(team.member)
    before = db_state()
    response = client.patch(f"{API}/cards/{card.pk}/", {"title": "x"}, format="json")
    assert_error(response, 423, "board_locked")
    response = client.post(f"{API}/comments/", {"card": card.pk, "body": "x"}, format="json")
    assert_error(response, 423, "board_locked")
    assert db_state() == before
