"""Cards over REST: create, filters, update, archive, move, delete, validation."""

from __future__ import annotations

import pytest

from collab.models import Card, Event
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_board, make_card, make_column, make_workspace


def card_titles(client, **params):
    return [c["title"] for c in client.get(f"{API}/cards/", params).json()["results"]]


def test_create_with_everything(team):
    label = (
        client_for(team.admin)
        .post(f"{API}/labels/", {"board": team.board.pk, "name": "bug"}, format="json")
        .json()
    )
    payload = {
        "column": team.todo.pk,
        "title": "  Ship it  ",
        "description": "Line one\nLine two",
        "assignees": [team.member.pk, team.viewer.pk],
        "labels": [label["id"]],
        "due_at": "2030-01-02T03:04:05Z",
    }
    response = client_for(team.member).post(f"{API}/cards/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["title"] == "Ship it"  # the service trims single-line text
    assert body["description"] == "Line one\nLine two"
    assert body["assignees"] == sorted([team.member.pk, team.viewer.pk])
    assert body["labels"] == [label["id"]]
    assert body["due_at"] == "2030-01-02T03:04:05Z"
    assert body["board"] == team.board.pk and body["column"] == team.todo.pk
    assert body["created_by"] == team.member.pk and body["archived"] is False
    event = Event.objects.get(board=team.board, event="card.created")
    assert event.data == body  # the event payload is the REST representation


@pytest.mark.parametrize(
    ("payload", "field", "status", "code"),
    [
        ({"title": "x"}, "column", 400, "invalid"),
        ({"column": "1", "title": "x"}, "column", 400, "invalid"),
        ({"column": 1.5, "title": "x"}, "column", 400, "invalid"),
        ({"column": None, "title": "x"}, "column", 400, "invalid"),
        ({"column": 0, "title": "x"}, "column", 400, "invalid"),
        ({"column": "todo", "title": 5}, "title", 400, "invalid"),
        ({"column": "todo", "title": ""}, "title", 400, "invalid"),
        ({"column": "todo", "title": "x" * 501}, "title", 400, "invalid"),
        ({"column": "todo", "title": "bad\u0007bell"}, "title", 400, "invalid"),
        ({"column": "todo", "title": "x", "assignees": "me"}, "assignees", 400, "invalid"),
        ({"column": "todo", "title": "x", "assignees": ["1"]}, "assignees.0", 400, "invalid"),
        ({"column": "todo", "title": "x", "assignees": ["outsider"]}, "assignees", 400, "invalid"),
        ({"column": "todo", "title": "x", "labels": [99999]}, "labels", 400, "invalid"),
        ({"column": "todo", "title": "x", "due_at": "tomorrow"}, "due_at", 400, "invalid"),
        ({"column": "todo", "title": "x", "position": "a0"}, "position", 400, "invalid"),
        ({"column": "todo", "title": "x", "board": 1}, "board", 400, "invalid"),
    ],
)
def test_create_validation(team, payload, field, status, code):
    payload = dict(payload)
    if payload.get("column") == "todo":
        payload["column"] = team.todo.pk
    if payload.get("assignees") == ["outsider"]:
        payload["assignees"] = [team.outsider.pk]
    body = assert_error(
        client_for(team.member).post(f"{API}/cards/", payload, format="json"), status, code
    )
    assert field in body["detail"], body
    assert not Card.objects.exists()


def test_create_permissions(team):
    payload = {"column": team.todo.pk, "title": "x"}
    assert_error(
        client_for(team.viewer).post(f"{API}/cards/", payload, format="json"), 403, "forbidden"
    )
    assert_error(
        client_for(team.outsider).post(f"{API}/cards/", payload, format="json"), 404, "not_found"
    )


def test_placement_with_after_and_before(team):
    member = client_for(team.member)
    a = member.post(f"{API}/cards/", {"column": team.todo.pk, "title": "A"}, format="json").json()
    c = member.post(f"{API}/cards/", {"column": team.todo.pk, "title": "C"}, format="json").json()
    member.post(
        f"{API}/cards/", {"column": team.todo.pk, "title": "B", "after": a["id"]}, format="json"
    )
    member.post(
        f"{API}/cards/", {"column": team.todo.pk, "title": "0", "before": a["id"]}, format="json"
    )
    assert card_titles(member, column=team.todo.pk) == ["0", "A", "B", "C"]
    assert c["position"] > a["position"]


def test_filters(team):
    member = client_for(team.member)
    a = make_card(team.member, team.todo, "A")
    make_card(team.member, team.done, "B")
    member.patch(f"{API}/cards/{a.pk}/", {"archived": True}, format="json")
    other_board = make_board(team.owner, team.workspace, "Other")
    make_card(team.owner, make_column(team.owner, other_board), "Elsewhere")
    assert card_titles(member, board=team.board.pk) == ["A", "B"]
    assert card_titles(member, board=team.board.pk, archived="false") == ["B"]
    assert card_titles(member, board=team.board.pk, archived="true") == ["A"]
    assert card_titles(member, column=team.done.pk) == ["B"]
    assert card_titles(member) == ["A", "B", "Elsewhere"]
    assert (
        "archived"
        in assert_error(member.get(f"{API}/cards/", {"archived": "maybe"}), 400, "invalid")[
            "detail"
        ]
    )
    assert (
        "board"
        in assert_error(member.get(f"{API}/cards/", {"board": "x"}), 400, "invalid")["detail"]
    )
    foreign = make_board(team.outsider, make_workspace(team.outsider))
    foreign_column = make_column(team.outsider, foreign)
    assert_error(member.get(f"{API}/cards/", {"board": foreign.pk}), 404, "not_found")
    assert_error(member.get(f"{API}/cards/", {"column": foreign_column.pk}), 404, "not_found")


def test_retrieve(team):
    card = make_card(team.member, team.todo, "A")
    response = client_for(team.viewer).get(f"{API}/cards/{card.pk}/")
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert response.json()["id"] == card.pk
    assert_error(client_for(team.outsider).get(f"{API}/cards/{card.pk}/"), 404, "not_found")
    assert_error(client_for(team.viewer).get(f"{API}/cards/999999/"), 404, "not_found")


def test_update_fields_and_if_match(team):
    card = make_card(team.member, team.todo, "A", assignees=[team.member.pk])
    member = client_for(team.member)
    url = f"{API}/cards/{card.pk}/"
    response = member.patch(
        url,
        {"title": "B", "assignees": [], "due_at": "2031-05-06T07:08:09Z"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["assignees"], body["due_at"], body["version"]) == (
        "B",
        [],
        "2031-05-06T07:08:09Z",
        2,
    )
    assert response["ETag"] == '"2"'
    assert_error(
        member.patch(url, {"title": "C"}, format="json", HTTP_IF_MATCH='"1"'),
        412,
        "precondition_failed",
    )
    assert member.patch(url, {"due_at": None}, format="json").json()["due_at"] is None
    assert_error(
        client_for(team.viewer).patch(url, {"title": "x"}, format="json"), 403, "forbidden"
    )
    assert_error(
        client_for(team.outsider).patch(url, {"title": "x"}, format="json"), 404, "not_found"
    )
    assert (
        "archived"
        in assert_error(member.patch(url, {"archived": "yes"}, format="json"), 400, "invalid")[
            "detail"
        ]
    )
    assert (
        "column"
        in assert_error(member.patch(url, {"column": team.done.pk}, format="json"), 400, "invalid")[
            "detail"
        ]
    )


def test_archive_through_patch(team):
    card = make_card(team.member, team.todo, "A")
    member = client_for(team.member)
    url = f"{API}/cards/{card.pk}/"
    response = member.patch(url, {"archived": True}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response.json()["archived"] is True
    assert Event.objects.filter(board=team.board, event="card.archived").count() == 1
    assert_error(
        member.patch(url, {"archived": False}, format="json", HTTP_IF_MATCH='"1"'),
        412,
        "precondition_failed",
    )
    # Fields and archiving together: one request, all or nothing.
    response = member.patch(
        url, {"archived": False, "title": "Back"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 200
    assert (response.json()["archived"], response.json()["title"]) == (False, "Back")
    before = Event.objects.filter(board=team.board).count()
    assert_error(member.patch(url, {"archived": True, "title": ""}, format="json"), 400, "invalid")
    assert Card.objects.get(pk=card.pk).archived is False
    assert Event.objects.filter(board=team.board).count() == before


def test_move(team):
    a = make_card(team.member, team.todo, "A")
    b = make_card(team.member, team.done, "B")
    c = make_card(team.member, team.done, "C")
    member = client_for(team.member)
    response = member.post(
        f"{API}/cards/{a.pk}/move/",
        {"column": team.done.pk, "after": b.pk},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["column"] == team.done.pk and response["ETag"] == '"2"'
    assert card_titles(member, column=team.done.pk) == ["B", "A", "C"]
    member.post(
        f"{API}/cards/{c.pk}/move/", {"column": team.done.pk, "before": b.pk}, format="json"
    )
    assert card_titles(member, column=team.done.pk) == ["C", "B", "A"]
    assert_error(
        member.post(
            f"{API}/cards/{a.pk}/move/",
            {"column": team.todo.pk},
            format="json",
            HTTP_IF_MATCH='"1"',
        ),
        412,
        "precondition_failed",
    )
    assert (
        "column"
        in assert_error(
            member.post(f"{API}/cards/{a.pk}/move/", {}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert (
        "after"
        in assert_error(
            member.post(
                f"{API}/cards/{a.pk}/move/", {"column": team.todo.pk, "after": b.pk}, format="json"
            ),
            400,
            "invalid",
        )["detail"]
    )
    foreign_column = make_column(
        team.outsider, make_board(team.outsider, make_workspace(team.outsider))
    )
    assert (
        "column"
        in assert_error(
            member.post(f"{API}/cards/{a.pk}/move/", {"column": foreign_column.pk}, format="json"),
            400,
            "invalid",
        )["detail"]
    )
    assert_error(
        client_for(team.viewer).post(
            f"{API}/cards/{a.pk}/move/", {"column": team.todo.pk}, format="json"
        ),
        403,
        "forbidden",
    )
    assert_error(
        client_for(team.outsider).post(
            f"{API}/cards/{a.pk}/move/", {"column": team.todo.pk}, format="json"
        ),
        404,
        "not_found",
    )


def test_delete(team):
    card = make_card(team.member, team.todo, "A")
    url = f"{API}/cards/{card.pk}/"
    assert_error(client_for(team.viewer).delete(url), 403, "forbidden")
    assert_error(client_for(team.outsider).delete(url), 404, "not_found")
    member = client_for(team.member)
    assert_error(member.delete(url, HTTP_IF_MATCH='"2"'), 412, "precondition_failed")
    assert_error(member.delete(url, HTTP_IF_MATCH="nope"), 400, "bad_request")
    assert member.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert_error(member.get(url), 404, "not_found")
    assert Event.objects.filter(
        board=team.board, event="card.deleted", data={"id": card.pk}
    ).exists()
