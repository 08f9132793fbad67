"""Ids of another workspace cannot be told from missing ids: one 404 body per resource.

Regression test for issue 7, defect 5: writes answered ``"Not found."`` for another
workspace's object and ``"Card not found."`` for a missing one, so an outsider could
map which ids exist. Every write route, and every parent a create names, now answers
byte for byte the same for both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import make_card
from tests.security.conftest import bearer

API = "/api/v1"
MISSING = 10**9


@dataclass(frozen=True)
class Write:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None


# "{x}" is the id under test: the rival's object, or one that exists nowhere.
WRITES = [
    Write("rename-workspace", "PATCH", "/workspaces/{x}/", {"name": "P"}),
    Write("delete-workspace", "DELETE", "/workspaces/{x}/"),
    Write(
        "add-member", "POST", "/workspaces/{x}/members/", {"username": "owner", "role": "viewer"}
    ),
    Write("change-member", "PATCH", "/workspaces/{x}/members/{rmember}/", {"role": "viewer"}),
    Write("remove-member", "DELETE", "/workspaces/{x}/members/{rmember}/"),
    Write("create-board", "POST", "/boards/", {"workspace": "{x}", "title": "P"}),
    Write("rename-board", "PATCH", "/boards/{x}/", {"title": "P"}),
    Write("delete-board", "DELETE", "/boards/{x}/"),
    Write("lock-board", "POST", "/boards/{x}/lock/"),
    Write("unlock-board", "POST", "/boards/{x}/unlock/"),
    Write("create-column", "POST", "/columns/", {"board": "{x}", "title": "P"}),
    Write("rename-column", "PATCH", "/columns/{x}/", {"title": "P"}),
    Write("move-column", "POST", "/columns/{x}/move/", {}),
    Write("delete-column", "DELETE", "/columns/{x}/"),
    Write("create-card", "POST", "/cards/", {"column": "{x}", "title": "P"}),
    Write("edit-card", "PATCH", "/cards/{x}/", {"title": "P"}),
    Write("archive-card", "PATCH", "/cards/{x}/", {"archived": True}),
    Write("edit-and-archive-card", "PATCH", "/cards/{x}/", {"title": "P", "archived": True}),
    Write("move-card", "POST", "/cards/{x}/move/", {"column": "{oc}"}),
    Write("delete-card", "DELETE", "/cards/{x}/"),
    Write("create-comment", "POST", "/comments/", {"card": "{x}", "body": "P"}),
    Write("edit-comment", "PATCH", "/comments/{x}/", {"body": "P"}),
    Write("delete-comment", "DELETE", "/comments/{x}/"),
    Write("hide-comment", "POST", "/comments/{x}/hide/", {"reason": "P"}),
    Write("unhide-comment", "POST", "/comments/{x}/unhide/", {"reason": "P"}),
    Write("create-label", "POST", "/labels/", {"board": "{x}", "name": "p"}),
    Write("rename-label", "PATCH", "/labels/{x}/", {"name": "p"}),
    Write("delete-label", "DELETE", "/labels/{x}/"),
    Write(
        "report-card",
        "POST",
        "/reports/",
        {"target_type": "card", "target_id": "{x}", "reason": "P"},
    ),
    Write(
        "report-comment",
        "POST",
        "/reports/",
        {"target_type": "comment", "target_id": "{x}", "reason": "P"},
    ),
]

# Which of the rival's ids each route's "{x}" stands for.
KIND = {
    "workspace": "rw", "member": "rw", "board": "rb", "column": "rc", "card": "rcard",
    "comment": "rcomment", "label": "rlabel",
}  # fmt: skip


def _kind(write: Write) -> str:
    for word, kind in KIND.items():
        if word in write.name:
            return kind
    raise AssertionError(write.name)


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _send(client: Any, write: Write, ids: dict[str, int]) -> Any:
    path = API + write.path.format(**ids)
    body = json.dumps(_fill(write.body, ids)) if write.body is not None else ""
    return client.generic(write.method, path, body, content_type="application/json")


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_foreign_id_and_a_missing_id_get_the_same_404(team, rival, write):
    own_card = make_card(team.owner, team.todo, "Mine")
    ids = {
        "rw": rival.workspace.pk,
        "rb": rival.board.pk,
        "rc": rival.column.pk,
        "rcard": rival.card.pk,
        "rcomment": rival.comment.pk,
        "rlabel": rival.label.pk,
        "rmember": rival.member.pk,
        "oc": team.todo.pk,
        "ocard": own_card.pk,
    }
    client = bearer(team.owner)  # the owner of a workspace of their own
    foreign = _send(client, write, {**ids, "x": ids[_kind(write)]})
    missing = _send(client, write, {**ids, "x": MISSING})
    assert foreign.status_code == missing.status_code == 404, (foreign.content, missing.content)
    assert foreign.content == missing.content
    assert foreign.json()["error"] == "not_found"
    assert foreign.json()["message"] != "Not found."  # names the resource addressed
