"""Labels over REST (an extension of the v1 contract)."""

from __future__ import annotations

from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_board, make_workspace


def test_label_lifecycle(team):
    admin = client_for(team.admin)
    response = admin.post(
        f"{API}/labels/", {"board": team.board.pk, "name": "bug", "color": "#FF0000"}, format="json"
    )
    assert response.status_code == 201
    label = response.json()
    assert label == {"id": label["id"], "board": team.board.pk, "name": "bug", "color": "#ff0000"}
    assert client_for(team.viewer).get(f"{API}/labels/{label['id']}/").json() == label
    listed = (
        client_for(team.viewer).get(f"{API}/labels/", {"board": team.board.pk}).json()["results"]
    )
    assert listed == [label]
    response = admin.patch(f"{API}/labels/{label['id']}/", {"name": "defect"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "defect"
    # Cards refer to labels by id.
    card = client_for(team.member).post(
        f"{API}/cards/",
        {"column": team.todo.pk, "title": "x", "labels": [label["id"]]},
        format="json",
    )
    assert card.json()["labels"] == [label["id"]]
    assert admin.delete(f"{API}/labels/{label['id']}/").status_code == 204
    assert client_for(team.member).get(f"{API}/cards/{card.json()['id']}/").json()["labels"] == []


def test_label_rules(team):
    admin = client_for(team.admin)
    assert_error(
        client_for(team.member).post(
            f"{API}/labels/", {"board": team.board.pk, "name": "x"}, format="json"
        ),
        403,
        "forbidden",
    )
    assert (
        admin.post(
            f"{API}/labels/", {"board": team.board.pk, "name": "dup"}, format="json"
        ).status_code
        == 201
    )
    assert_error(
        admin.post(f"{API}/labels/", {"board": team.board.pk, "name": "dup"}, format="json"),
        409,
        "conflict",
    )
    body = assert_error(
        admin.post(
            f"{API}/labels/", {"board": team.board.pk, "name": "c", "color": "red"}, format="json"
        ),
        400,
        "invalid",
    )
    assert "color" in body["detail"]
    foreign = make_board(team.outsider, make_workspace(team.outsider))
    assert_error(admin.get(f"{API}/labels/", {"board": foreign.pk}), 404, "not_found")
    assert_error(
        admin.post(f"{API}/labels/", {"board": foreign.pk, "name": "x"}, format="json"),
        404,
        "not_found",
    )
    assert_error(admin.patch(f"{API}/labels/1/", {}, format="json"), 400, "invalid")
