"""Ids of another workspace cannot be told from missing ids: one 404 body per resource.

Regression test for issue 7, defect 5: writes answered ``"Not found."`` for another
workspace's object and ``"Card not found."`` for a missing one, so an outsider could
map which ids exist. Every write route, and every parent a create names, now answers
byte for byte the same for both.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from collab.services.webhooks import webhook_create
from tests.factories import make_card
from tests.security.conftest import Call, bearer, send

MISSING = 10**9


# "{x}" is the id under test: the rival's object, or one that exists nowhere.
WRITES = [
    Call("rename-workspace", "PATCH", "/workspaces/{x}/", {"name": "P"}),
    Call("delete-workspace", "DELETE", "/workspaces/{x}/"),
    Call("add-member", "POST", "/workspaces/{x}/members/", {"username": "owner", "role": "viewer"}),
    Call("change-member", "PATCH", "/workspaces/{x}/members/{rmember}/", {"role": "viewer"}),
    Call("remove-member", "DELETE", "/workspaces/{x}/members/{rmember}/"),
    Call("create-board", "POST", "/boards/", {"workspace": "{x}", "title": "P"}),
    Call("rename-board", "PATCH", "/boards/{x}/", {"title": "P"}),
    Call("delete-board", "DELETE", "/boards/{x}/"),
    Call("lock-board", "POST", "/boards/{x}/lock/"),
    Call("unlock-board", "POST", "/boards/{x}/unlock/"),
    Call("create-column", "POST", "/columns/", {"board": "{x}", "title": "P"}),
    Call("rename-column", "PATCH", "/columns/{x}/", {"title": "P"}),
    Call("move-column", "POST", "/columns/{x}/move/", {}),
    Call("delete-column", "DELETE", "/columns/{x}/"),
    Call("create-card", "POST", "/cards/", {"column": "{x}", "title": "P"}),
    Call("edit-card", "PATCH", "/cards/{x}/", {"title": "P"}),
    Call("archive-card", "PATCH", "/cards/{x}/", {"archived": True}),
    Call("edit-and-archive-card", "PATCH", "/cards/{x}/", {"title": "P", "archived": True}),
    Call("move-card", "POST", "/cards/{x}/move/", {"column": "{oc}"}),
    Call("delete-card", "DELETE", "/cards/{x}/"),
    Call("create-comment", "POST", "/comments/", {"card": "{x}", "body": "P"}),
    Call("edit-comment", "PATCH", "/comments/{x}/", {"body": "P"}),
    Call("delete-comment", "DELETE", "/comments/{x}/"),
    Call("hide-comment", "POST", "/comments/{x}/hide/", {"reason": "P"}),
    Call("unhide-comment", "POST", "/comments/{x}/unhide/", {"reason": "P"}),
    Call("react-to-comment", "POST", "/comments/{x}/reactions/", {"reaction": "+1"}),
    Call("create-label", "POST", "/labels/", {"board": "{x}", "name": "p"}),
    Call("rename-label", "PATCH", "/labels/{x}/", {"name": "p"}),
    Call("delete-label", "DELETE", "/labels/{x}/"),
    Call(
        "report-card",
        "POST",
        "/reports/",
        {"target_type": "card", "target_id": "{x}", "reason": "P"},
    ),
    Call(
        "report-comment",
        "POST",
        "/reports/",
        {"target_type": "comment", "target_id": "{x}", "reason": "P"},
    ),
    Call("read-webhook", "GET", "/workspaces/{ow}/webhooks/{x}/"),
    Call("edit-webhook", "PATCH", "/workspaces/{ow}/webhooks/{x}/", {"active": False}),
    Call("delete-webhook", "DELETE", "/workspaces/{ow}/webhooks/{x}/"),
    Call("rotate-webhook", "POST", "/workspaces/{ow}/webhooks/{x}/rotate-secret/"),
    Call("read-webhook-deliveries", "GET", "/workspaces/{ow}/webhooks/{x}/deliveries/"),
    Call(
        "redeliver-delivery",
        "POST",
        "/workspaces/{ow}/webhooks/{owebhook}/deliveries/{x}/redeliver/",
    ),
]

# Which of the rival's ids each route's "{x}" stands for.
KIND = {
    "delivery": "rdelivery", "webhook": "rwebhook",
    "workspace": "rw", "member": "rw", "board": "rb", "column": "rc", "card": "rcard",
    "comment": "rcomment", "label": "rlabel",
}  # fmt: skip


def _kind(write: Call) -> str:
    for word, kind in KIND.items():
        if word in write.name:
            return kind
    raise AssertionError(write.name)


def _send(client: Any, write: Call, ids: dict[str, int]) -> Any:
    return send(client, write.method, write.path, write.body, ids)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_foreign_id_and_a_missing_id_get_the_same_404(team, rival, write):
    own_card = make_card(team.owner, team.todo, "Mine")
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        own_webhook, _ = webhook_create(
            actor=team.owner,
            workspace_id=team.workspace.pk,
            url="http://127.0.0.1:9/",
            event_types=["*"],
        )
    ids = {
        **rival.ids(),
        "oc": team.todo.pk,
        "ocard": own_card.pk,
        "ow": team.workspace.pk,
        "owebhook": own_webhook.pk,
    }
    client = bearer(team.owner)  # the owner of a workspace of their own
    foreign = _send(client, write, {**ids, "x": ids[_kind(write)]})
    missing = _send(client, write, {**ids, "x": MISSING})
    assert foreign.status_code == missing.status_code == 404, (foreign.content, missing.content)
    assert foreign.content == missing.content
    assert foreign.json()["error"] == "not_found"
    assert foreign.json()["message"] != "Not found."  # names the resource addressed
