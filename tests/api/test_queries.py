"""List, snapshot and events routes run a constant number of queries as data grows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collab.services.labels import label_create
from tests.api.conftest import API
from tests.conftest import client_for
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


def first_card(team: Any) -> Any:
    return team.board.cards.order_by("pk").first()


def grow(team: Any, size: int) -> None:
    """Add ``size`` of everything a board holds, with the relations lists must load."""
    labels = [
        label_create(
            actor=team.owner, board_id=team.board.pk, name=f"L{len(team.board.labels.all())}-{i}"
        )
        for i in range(2)
    ]
    for i in range(size):
        user = make_user()
        add_member(team.workspace, team.owner, user, "member")
        card = make_card(
            team.member,
            team.todo if i % 2 else team.done,
            f"card {i}",
            assignees=[user.pk, team.member.pk],
            labels=[label.pk for label in labels],
        )
        make_comment(user, card, f"comment {i}")
        make_comment(user, first_card(team), f"on the first card {i}")
        make_column(team.owner, team.board, f"col {i}")
        make_board(team.owner, team.workspace, f"board {i}")
        make_token(team.member, name=f"t{i}")
        add_member(make_workspace(team.owner, f"ws {i}"), team.owner, team.member, "viewer")


ROUTES = {
    "workspaces": lambda t: "/workspaces/?page_size=200",
    "members": lambda t: f"/workspaces/{t.workspace.pk}/members/?page_size=200",
    "boards": lambda t: "/boards/?page_size=200",
    "boards?workspace": lambda t: f"/boards/?workspace={t.workspace.pk}&page_size=200",
    "columns?board": lambda t: f"/columns/?board={t.board.pk}&page_size=200",
    "cards?board": lambda t: f"/cards/?board={t.board.pk}&page_size=200",
    "cards?column&archived": lambda t: f"/cards/?column={t.todo.pk}&archived=false&page_size=200",
    "cards": lambda t: "/cards/?page_size=200",
    "comments": lambda t: "/comments/?page_size=200",
    "comments?card": lambda t: f"/comments/?card={first_card(t).pk}&page_size=200",
    "labels?board": lambda t: f"/labels/?board={t.board.pk}",
    "snapshot": lambda t: f"/boards/{t.board.pk}/snapshot/",
    "events": lambda t: f"/boards/{t.board.pk}/events/?limit=1000",
    "events?after": lambda t: f"/boards/{t.board.pk}/events/?after=3&limit=1000",
}
# Authentication (token, moderator check) plus the rows and their relations.
MAX_QUERIES = 10


def count_queries(client: Any, path: str) -> tuple[int, Any]:
    client.get(f"{API}{path}")  # warm up: a token's first use records last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}{path}")
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def size_of(body: dict[str, Any]) -> int:
    if "cards" in body:
        return len(body["cards"]) + len(body["members"]) + len(body["columns"])
    return len(body["results"])


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_constant_queries_as_data_grows(team, route, django_assert_max_num_queries):
    client = client_for(team.member)
    grow(team, 2)
    path = route(team)
    small, small_body = count_queries(client, path)
    assert small <= MAX_QUERIES, f"{path}: {small} queries"
    grow(team, 10)
    client.get(f"{API}{path}")
    with django_assert_max_num_queries(small):
        response = client.get(f"{API}{path}")
    assert response.status_code == 200
    assert size_of(response.json()) > size_of(small_body), "the data did not grow"


def test_token_list_queries_with_a_session(team, session_for, django_assert_max_num_queries):
    client = session_for(team.member)
    grow(team, 2)
    small, _ = count_queries(client, "/tokens/")
    grow(team, 10)
    with django_assert_max_num_queries(small):
        response = client.get(f"{API}/tokens/?page_size=200")
    assert len(response.json()["results"]) == 12
