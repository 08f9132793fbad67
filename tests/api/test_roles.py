"""The role matrix: every role against read and write routes, with the expected status.

Viewers read; members write cards and comments; admins manage boards, columns, labels
and members; owners everything. Non-members get 404, anonymous callers 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import API
from tests.conftest import client_for
from tests.factories import make_card, make_comment, make_user

ROLES = ("owner", "admin", "member", "viewer", "outsider", "anonymous")


@dataclass
class World:
    team: Any
    card: Any
    comment: Any


@dataclass
class Route:
    name: str
    method: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] | None
    # Statuses for owner, admin, member, viewer, outsider (anonymous is always 401).
    expect: tuple[int, int, int, int, int]


def read(name: str, path: Callable[[World], str], outsider: int = 404) -> Route:
    return Route(name, "get", path, None, (200, 200, 200, 200, outsider))


READS = [
    read("workspace", lambda w: f"/workspaces/{w.team.workspace.pk}/"),
    read("members", lambda w: f"/workspaces/{w.team.workspace.pk}/members/"),
    read("boards", lambda w: "/boards/", outsider=200),
    read("boards?workspace", lambda w: f"/boards/?workspace={w.team.workspace.pk}"),
    read("board", lambda w: f"/boards/{w.team.board.pk}/"),
    read("snapshot", lambda w: f"/boards/{w.team.board.pk}/snapshot/"),
    read("events", lambda w: f"/boards/{w.team.board.pk}/events/"),
    read("labels?board", lambda w: f"/labels/?board={w.team.board.pk}"),
    read("columns?board", lambda w: f"/columns/?board={w.team.board.pk}"),
    read("column", lambda w: f"/columns/{w.team.todo.pk}/"),
    read("cards?board", lambda w: f"/cards/?board={w.team.board.pk}"),
    read("cards?column", lambda w: f"/cards/?column={w.team.todo.pk}"),
    read("card", lambda w: f"/cards/{w.card.pk}/"),
    read("comments?card", lambda w: f"/comments/?card={w.card.pk}"),
    read("comment", lambda w: f"/comments/{w.comment.pk}/"),
    read("me", lambda w: "/me/", outsider=200),
]

ADMIN_ONLY = (200, 200, 403, 403, 404)
ADMIN_CREATES = (201, 201, 403, 403, 404)
ADMIN_DELETES = (204, 204, 403, 403, 404)
MEMBER_WRITES = (200, 200, 200, 403, 404)

WRITES = [
    Route(
        "rename workspace",
        "patch",
        lambda w: f"/workspaces/{w.team.workspace.pk}/",
        lambda w: {"name": "N"},
        ADMIN_ONLY,
    ),
    Route(
        "delete workspace",
        "delete",
        lambda w: f"/workspaces/{w.team.workspace.pk}/",
        None,
        (204, 403, 403, 403, 404),
    ),
    Route(
        "add member",
        "post",
        lambda w: f"/workspaces/{w.team.workspace.pk}/members/",
        lambda w: {"username": make_user("newcomer").username, "role": "viewer"},
        ADMIN_CREATES,
    ),
    Route(
        "change member",
        "patch",
        lambda w: f"/workspaces/{w.team.workspace.pk}/members/{w.team.viewer.pk}/",
        lambda w: {"role": "member"},
        (200, 200, 403, 403, 404),
    ),
    Route(
        "create board",
        "post",
        lambda w: "/boards/",
        lambda w: {"workspace": w.team.workspace.pk, "title": "B"},
        ADMIN_CREATES,
    ),
    Route(
        "update board",
        "patch",
        lambda w: f"/boards/{w.team.board.pk}/",
        lambda w: {"title": "T"},
        ADMIN_ONLY,
    ),
    Route("delete board", "delete", lambda w: f"/boards/{w.team.board.pk}/", None, ADMIN_DELETES),
    Route("lock board", "post", lambda w: f"/boards/{w.team.board.pk}/lock/", None, ADMIN_ONLY),
    Route(
        "create label",
        "post",
        lambda w: "/labels/",
        lambda w: {"board": w.team.board.pk, "name": "L"},
        ADMIN_CREATES,
    ),
    Route(
        "create column",
        "post",
        lambda w: "/columns/",
        lambda w: {"board": w.team.board.pk, "title": "C"},
        ADMIN_CREATES,
    ),
    Route(
        "update column",
        "patch",
        lambda w: f"/columns/{w.team.todo.pk}/",
        lambda w: {"title": "T"},
        ADMIN_ONLY,
    ),
    Route(
        "move column",
        "post",
        lambda w: f"/columns/{w.team.todo.pk}/move/",
        lambda w: {"after": w.team.done.pk},
        ADMIN_ONLY,
    ),
    Route("delete column", "delete", lambda w: f"/columns/{w.team.done.pk}/", None, ADMIN_DELETES),
    Route(
        "create card",
        "post",
        lambda w: "/cards/",
        lambda w: {"column": w.team.todo.pk, "title": "C"},
        (201, 201, 201, 403, 404),
    ),
    Route(
        "update card",
        "patch",
        lambda w: f"/cards/{w.card.pk}/",
        lambda w: {"title": "T"},
        MEMBER_WRITES,
    ),
    Route(
        "archive card",
        "patch",
        lambda w: f"/cards/{w.card.pk}/",
        lambda w: {"archived": True},
        MEMBER_WRITES,
    ),
    Route(
        "move card",
        "post",
        lambda w: f"/cards/{w.card.pk}/move/",
        lambda w: {"column": w.team.done.pk},
        MEMBER_WRITES,
    ),
    Route(
        "delete card", "delete", lambda w: f"/cards/{w.card.pk}/", None, (204, 204, 204, 403, 404)
    ),
    Route(
        "comment",
        "post",
        lambda w: "/comments/",
        lambda w: {"card": w.card.pk, "body": "Hi"},
        (201, 201, 201, 403, 404),
    ),
    Route(
        "hide comment",
        "post",
        lambda w: f"/comments/{w.comment.pk}/hide/",
        lambda w: {"reason": "Rude"},
        ADMIN_ONLY,
    ),
    Route(
        "report",
        "post",
        lambda w: "/reports/",
        lambda w: {"target_type": "card", "target_id": w.card.pk, "reason": "Spam"},
        (201, 201, 201, 201, 404),
    ),
]


def call(route: Route, role: str, team: Any) -> Any:
    card = make_card(team.member, team.todo, "Card")
    world = World(team=team, card=card, comment=make_comment(team.member, card, "Comment"))
    client = client_for(None if role == "anonymous" else team.user(role))
    body = route.body(world) if route.body else None
    return getattr(client, route.method)(f"{API}{route.path(world)}", body, format="json")


def expected(route: Route, role: str) -> int:
    return 401 if role == "anonymous" else route.expect[ROLES.index(role)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", READS, ids=lambda r: r.name)
def test_reads(team, route, role):
    response = call(route, role, team)
    assert response.status_code == expected(route, role), response.content
    if response.status_code >= 400:
        assert set(response.json()) >= {"error", "message"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", WRITES, ids=lambda r: r.name)
def test_writes(team, route, role):
    response = call(route, role, team)
    assert response.status_code == expected(route, role), response.content
    if response.status_code >= 400:
        body = response.json()
        assert (
            body["error"]
            == {401: "not_authenticated", 403: "forbidden", 404: "not_found"}[response.status_code]
        )


def test_outsider_lists_are_empty(team):
    client = client_for(team.outsider)
    for path in ("/workspaces/", "/boards/", "/columns/", "/cards/", "/comments/", "/labels/"):
        assert client.get(f"{API}{path}").json()["count"] == 0, path
