"""Columns over REST: placement, moves, ETag/If-Match, filters."""

from __future__ import annotations

from collab.models import Column
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_board, make_card, make_workspace


def titles(client, board_id):
    return [
        c["title"] for c in client.get(f"{API}/columns/", {"board": board_id}).json()["results"]
    ]


def test_create_places_columns(team):
    admin = client_for(team.admin)
    url = f"{API}/columns/"
    response = admin.post(
        url, {"board": team.board.pk, "title": "Doing", "after": team.todo.pk}, format="json"
    )
    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    assert response.json()["board"] == team.board.pk
    admin.post(
        url, {"board": team.board.pk, "title": "Backlog", "before": team.todo.pk}, format="json"
    )
    admin.post(url, {"board": team.board.pk, "title": "Archive"}, format="json")
    assert titles(admin, team.board.pk) == ["Backlog", "To do", "Doing", "Done", "Archive"]


def test_create_errors(team):
    admin = client_for(team.admin)
    url = f"{API}/columns/"
    assert_error(
        client_for(team.member).post(url, {"board": team.board.pk, "title": "x"}, format="json"),
        403,
        "forbidden",
    )
    foreign = make_board(team.outsider, make_workspace(team.outsider))
    assert_error(
        admin.post(url, {"board": foreign.pk, "title": "x"}, format="json"), 404, "not_found"
    )
    other_column = (
        client_for(team.outsider)
        .post(url, {"board": foreign.pk, "title": "x"}, format="json")
        .json()
    )
    body = assert_error(
        admin.post(
            url, {"board": team.board.pk, "title": "x", "after": other_column["id"]}, format="json"
        ),
        400,
        "invalid",
    )
    assert "after" in body["detail"]
    assert (
        "after"
        in assert_error(
            admin.post(url, {"board": team.board.pk, "title": "x", "after": "1"}, format="json"),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "title"
        in assert_error(
            admin.post(url, {"board": team.board.pk, "title": ""}, format="json"), 400, "invalid"
        )["detail"]
    )


def test_list_filter(team):
    foreign = make_board(team.outsider, make_workspace(team.outsider))
    client = client_for(team.viewer)
    assert titles(client, team.board.pk) == ["To do", "Done"]
    assert_error(client.get(f"{API}/columns/", {"board": foreign.pk}), 404, "not_found")
    every = client.get(f"{API}/columns/").json()
    assert every["count"] == 2  # only boards the caller can see


def test_retrieve_update_and_stale_version(team):
    admin = client_for(team.admin)
    url = f"{API}/columns/{team.todo.pk}/"
    response = client_for(team.viewer).get(url)
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert_error(client_for(team.outsider).get(url), 404, "not_found")
    response = admin.patch(url, {"title": "Next"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert_error(
        admin.patch(url, {"title": "Later"}, format="json", HTTP_IF_MATCH='"1"'),
        412,
        "precondition_failed",
    )
    assert_error(admin.patch(url, {}, format="json"), 400, "invalid")
    assert_error(
        client_for(team.member).patch(url, {"title": "x"}, format="json"), 403, "forbidden"
    )


def test_move(team):
    admin = client_for(team.admin)
    response = admin.post(
        f"{API}/columns/{team.done.pk}/move/",
        {"before": team.todo.pk},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert titles(admin, team.board.pk) == ["Done", "To do"]
    assert_error(
        admin.post(
            f"{API}/columns/{team.done.pk}/move/",
            {"after": team.todo.pk},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        412,
        "precondition_failed",
    )
    assert admin.post(f"{API}/columns/{team.done.pk}/move/", {}, format="json").status_code == 200
    assert titles(admin, team.board.pk) == ["To do", "Done"]
    assert_error(
        client_for(team.member).post(f"{API}/columns/{team.done.pk}/move/", {}, format="json"),
        403,
        "forbidden",
    )
    assert (
        "column"
        in assert_error(
            admin.post(f"{API}/columns/{team.done.pk}/move/", {"column": 1}, format="json"),
            400,
            "invalid",
        )["detail"]
    )


def test_delete(team):
    make_card(team.member, team.todo, "inside")
    admin = client_for(team.admin)
    url = f"{API}/columns/{team.todo.pk}/"
    assert_error(client_for(team.member).delete(url), 403, "forbidden")
    assert_error(client_for(team.outsider).delete(url), 404, "not_found")
    assert_error(admin.delete(url, HTTP_IF_MATCH='"9"'), 412, "precondition_failed")
    assert admin.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not Column.objects.filter(pk=team.todo.pk).exists()
    assert admin.get(f"{API}/cards/", {"board": team.board.pk}).json()["count"] == 0
