"""Privilege escalation across workspaces: ids of another team's objects in every route.

The attacker owns a workspace of their own (the highest role there) and knows the ids
of a rival workspace's objects. Whatever route or field carries those ids, the answer
is 404 (the object does not exist for them) or 400 (a body reference that is not
theirs), the body leaks nothing, and not one row changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings

from collab.services.webhooks import webhook_create
from tests.api.conftest import assert_error
from tests.factories import make_card, make_comment
from tests.security.conftest import API, Call, bearer, send
from tests.security.state import db_state


@dataclass(frozen=True)
class Attack(Call):
    statuses: tuple[int, ...] = (404,)
    extra: dict[str, Any] = field(default_factory=dict)


# Placeholders: r* are the rival's objects, o* the attacker's own.
PATH_ATTACKS = [
    Attack("read-workspace", "GET", "/workspaces/{rw}/"),
    Attack("rename-workspace", "PATCH", "/workspaces/{rw}/", {"name": "Pwned"}),
    Attack("delete-workspace", "DELETE", "/workspaces/{rw}/"),
    Attack("list-members", "GET", "/workspaces/{rw}/members/"),
    Attack(
        "add-self-as-owner",
        "POST",
        "/workspaces/{rw}/members/",
        {"username": "owner", "role": "owner"},
    ),
    Attack(
        "change-member-role", "PATCH", "/workspaces/{rw}/members/{rmember}/", {"role": "viewer"}
    ),
    Attack("remove-member", "DELETE", "/workspaces/{rw}/members/{rmember}/"),
    Attack(
        "remove-foreign-member-from-own-workspace", "DELETE", "/workspaces/{ow}/members/{rmember}/"
    ),
    Attack("read-board", "GET", "/boards/{rb}/"),
    Attack("rename-board", "PATCH", "/boards/{rb}/", {"title": "Pwned"}),
    Attack("delete-board", "DELETE", "/boards/{rb}/"),
    Attack("lock-board", "POST", "/boards/{rb}/lock/"),
    Attack("unlock-board", "POST", "/boards/{rb}/unlock/"),
    Attack("read-snapshot", "GET", "/boards/{rb}/snapshot/"),
    Attack("read-events", "GET", "/boards/{rb}/events/?after=0"),
    Attack("read-stream", "GET", "/boards/{rb}/stream/?since=0"),
    Attack("read-column", "GET", "/columns/{rc}/"),
    Attack("rename-column", "PATCH", "/columns/{rc}/", {"title": "Pwned"}),
    Attack("move-column", "POST", "/columns/{rc}/move/", {}),
    Attack("delete-column", "DELETE", "/columns/{rc}/"),
    Attack("read-card", "GET", "/cards/{rcard}/"),
    Attack("edit-card", "PATCH", "/cards/{rcard}/", {"title": "Pwned"}),
    Attack("archive-card", "PATCH", "/cards/{rcard}/", {"archived": True}),
    Attack("delete-card", "DELETE", "/cards/{rcard}/"),
    Attack("move-card-within-its-board", "POST", "/cards/{rcard}/move/", {"column": "{rc2}"}),
    Attack("move-card-into-own-column", "POST", "/cards/{rcard}/move/", {"column": "{oc}"}),
    Attack("read-comment", "GET", "/comments/{rcomment}/"),
    Attack("edit-comment", "PATCH", "/comments/{rcomment}/", {"body": "Pwned"}),
    Attack("delete-comment", "DELETE", "/comments/{rcomment}/"),
    Attack("hide-comment", "POST", "/comments/{rcomment}/hide/", {"reason": "x"}),
    Attack("unhide-comment", "POST", "/comments/{rcomment}/unhide/", {"reason": "x"}),
    Attack("react-to-comment", "POST", "/comments/{rcomment}/reactions/", {"reaction": "+1"}),
    Attack("read-label", "GET", "/labels/{rlabel}/"),
    Attack("rename-label", "PATCH", "/labels/{rlabel}/", {"name": "pwned"}),
    Attack("delete-label", "DELETE", "/labels/{rlabel}/"),
    Attack("revoke-token", "DELETE", "/tokens/{rtoken}/", extra={"session": True}),
    Attack("watch-card", "POST", "/cards/{rcard}/watch/"),
    Attack("read-card-watch", "GET", "/cards/{rcard}/watch/"),
    Attack("unwatch-card", "DELETE", "/cards/{rcard}/watch/"),
    Attack("watch-board", "POST", "/boards/{rb}/watch/"),
    Attack("read-their-notification", "POST", "/notifications/{rnotification}/read/"),
    Attack("list-webhooks", "GET", "/workspaces/{rw}/webhooks/"),
    Attack(
        "add-webhook",
        "POST",
        "/workspaces/{rw}/webhooks/",
        {"url": "http://127.0.0.1:9/mole", "event_types": ["*"]},
    ),
    Attack("read-webhook", "GET", "/workspaces/{rw}/webhooks/{rwebhook}/"),
    Attack("read-webhook-via-own-workspace", "GET", "/workspaces/{ow}/webhooks/{rwebhook}/"),
    Attack(
        "repoint-webhook",
        "PATCH",
        "/workspaces/{ow}/webhooks/{rwebhook}/",
        {"url": "http://127.0.0.1:9/mole"},
    ),
    Attack("delete-webhook", "DELETE", "/workspaces/{rw}/webhooks/{rwebhook}/"),
    Attack("rotate-webhook-secret", "POST", "/workspaces/{rw}/webhooks/{rwebhook}/rotate-secret/"),
    Attack(
        "redeliver-webhook",
        "POST",
        "/workspaces/{rw}/webhooks/{rwebhook}/redeliver/",
        {"board": "{rb}", "since": 0},
    ),
    Attack("read-deliveries", "GET", "/workspaces/{rw}/webhooks/{rwebhook}/deliveries/"),
    Attack(
        "redeliver-delivery",
        "POST",
        "/workspaces/{rw}/webhooks/{rwebhook}/deliveries/{rdelivery}/redeliver/",
    ),
    Attack(
        "redeliver-foreign-delivery-via-own-webhook",
        "POST",
        "/workspaces/{ow}/webhooks/{owebhook}/deliveries/{rdelivery}/redeliver/",
    ),
    Attack(
        "redeliver-foreign-board-to-own-webhook",
        "POST",
        "/workspaces/{ow}/webhooks/{owebhook}/redeliver/",
        {"board": "{rb}", "since": 0},
    ),
]

QUERY_ATTACKS = [
    Attack("boards-of-workspace", "GET", "/boards/?workspace={rw}"),
    Attack("columns-of-board", "GET", "/columns/?board={rb}"),
    Attack("cards-of-board", "GET", "/cards/?board={rb}"),
    Attack("cards-of-column", "GET", "/cards/?column={rc}"),
    Attack("comments-of-card", "GET", "/comments/?card={rcard}"),
    Attack("labels-of-board", "GET", "/labels/?board={rb}"),
]

BODY_ATTACKS = [
    Attack(
        "board-in-foreign-workspace",
        "POST",
        "/boards/",
        {"workspace": "{rw}", "title": "Mole"},
        (400, 404),
    ),
    Attack(
        "column-on-foreign-board",
        "POST",
        "/columns/",
        {"board": "{rb}", "title": "Mole"},
        (400, 404),
    ),
    Attack(
        "column-after-foreign-column",
        "POST",
        "/columns/",
        {"board": "{ob}", "title": "x", "after": "{rc}"},
        (400,),
    ),
    Attack(
        "column-before-foreign-column",
        "POST",
        "/columns/",
        {"board": "{ob}", "title": "x", "before": "{rc}"},
        (400,),
    ),
    Attack(
        "move-own-column-after-foreign", "POST", "/columns/{oc}/move/", {"after": "{rc}"}, (400,)
    ),
    Attack(
        "move-own-column-before-foreign", "POST", "/columns/{oc}/move/", {"before": "{rc}"}, (400,)
    ),
    Attack(
        "card-in-foreign-column", "POST", "/cards/", {"column": "{rc}", "title": "Mole"}, (400, 404)
    ),
    Attack(
        "card-after-foreign-card",
        "POST",
        "/cards/",
        {"column": "{oc}", "title": "x", "after": "{rcard}"},
        (400,),
    ),
    Attack(
        "card-before-foreign-card",
        "POST",
        "/cards/",
        {"column": "{oc}", "title": "x", "before": "{rcard}"},
        (400,),
    ),
    Attack(
        "card-assigned-to-foreign-user",
        "POST",
        "/cards/",
        {"column": "{oc}", "title": "x", "assignees": ["{rmember}"]},
        (400,),
    ),
    Attack(
        "card-with-foreign-label",
        "POST",
        "/cards/",
        {"column": "{oc}", "title": "x", "labels": ["{rlabel}"]},
        (400,),
    ),
    Attack("assign-foreign-user", "PATCH", "/cards/{ocard}/", {"assignees": ["{rmember}"]}, (400,)),
    Attack("attach-foreign-label", "PATCH", "/cards/{ocard}/", {"labels": ["{rlabel}"]}, (400,)),
    Attack(
        "move-own-card-into-foreign-column",
        "POST",
        "/cards/{ocard}/move/",
        {"column": "{rc}"},
        (400,),
    ),
    Attack(
        "move-own-card-after-foreign-card",
        "POST",
        "/cards/{ocard}/move/",
        {"column": "{oc}", "after": "{rcard}"},
        (400,),
    ),
    Attack(
        "move-own-card-before-foreign-card",
        "POST",
        "/cards/{ocard}/move/",
        {"column": "{oc}", "before": "{rcard}"},
        (400,),
    ),
    Attack(
        "comment-on-foreign-card",
        "POST",
        "/comments/",
        {"card": "{rcard}", "body": "Mole"},
        (400, 404),
    ),
    Attack(
        "label-on-foreign-board", "POST", "/labels/", {"board": "{rb}", "name": "mole"}, (400, 404)
    ),
    Attack(
        "report-foreign-card",
        "POST",
        "/reports/",
        {"target_type": "card", "target_id": "{rcard}", "reason": "x"},
        (400, 404),
    ),
    Attack(
        "report-foreign-comment",
        "POST",
        "/reports/",
        {"target_type": "comment", "target_id": "{rcomment}", "reason": "x"},
        (400, 404),
    ),
]


@pytest.fixture
def ids(team, rival) -> dict[str, int]:
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        own_webhook, _ = webhook_create(
            actor=team.owner,
            workspace_id=team.workspace.pk,
            url="http://127.0.0.1:9/",
            event_types=["*"],
        )
    own_card = make_card(team.owner, team.todo, "Mine")
    make_comment(team.owner, own_card, "Mine too")
    return {
        **rival.ids(),
        "ow": team.workspace.pk,
        "ob": team.board.pk,
        "oc": team.todo.pk,
        "ocard": own_card.pk,
        "owebhook": own_webhook.pk,
    }


def _attack(client: Any, attack: Attack, ids: dict[str, int]) -> Any:
    return send(client, attack.method, attack.path, attack.body, ids)


@pytest.mark.parametrize(
    "attack", PATH_ATTACKS + QUERY_ATTACKS + BODY_ATTACKS, ids=lambda a: a.name
)
def test_ids_of_another_workspace_are_refused_and_nothing_changes(
    team, rival, ids, session_for, attack
):
    if attack.extra.get("session"):
        client = session_for(team.owner)
        csrf = client.cookies["csrftoken"].value
        client.credentials(HTTP_X_CSRFTOKEN=csrf)
    else:
        client = bearer(team.owner)
    before = db_state()
    response = _attack(client, attack, ids)
    assert response.status_code in attack.statuses, (response.status_code, response.content)
    assert_error(response, response.status_code, response.json()["error"])
    assert "Secret" not in response.content.decode() and "rival" not in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/workspaces/",
        "/boards/",
        "/columns/",
        "/cards/",
        "/comments/",
        "/labels/",
        "/tokens/",
        "/notifications/",
    ],
)
def test_unfiltered_lists_never_show_another_workspaces_rows(team, rival, ids, session_for, path):
    client = session_for(team.owner)
    response = client.get(API + path)
    assert response.status_code == 200, response.content
    text = response.content.decode()
    assert "Secret" not in text and "Rival" not in text and "secret" not in text
    assert response.json()["count"] >= 0
