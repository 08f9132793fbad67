"""Boards over REST: filters, ETag/If-Match, lock, snapshot."""

from __future__ import annotations

import pytest

from collab.models import Board, Event
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_board, make_card, make_workspace


def test_list_and_workspace_filter(team):
    other = make_board(team.owner, make_workspace(team.owner, "Second"), "Other")
    make_board(team.outsider, make_workspace(team.outsider, "Theirs"), "Hidden")
    client = client_for(team.member)
    assert [b["title"] for b in client.get(f"{API}/boards/").json()["results"]] == ["Roadmap"]
    owner = client_for(team.owner)
    assert {b["id"] for b in owner.get(f"{API}/boards/").json()["results"]} == {
        team.board.pk,
        other.pk,
    }
    filtered = owner.get(f"{API}/boards/", {"workspace": team.workspace.pk}).json()["results"]
    assert [b["id"] for b in filtered] == [team.board.pk]
    # A workspace you are not in is not found, whether it exists or not.
    assert_error(client.get(f"{API}/boards/", {"workspace": other.workspace_id}), 404, "not_found")
    assert_error(client.get(f"{API}/boards/", {"workspace": 999999}), 404, "not_found")
    assert (
        "workspace"
        in assert_error(client.get(f"{API}/boards/", {"workspace": "abc"}), 400, "invalid")[
            "detail"
        ]
    )


def test_create(team):
    payload = {"workspace": team.workspace.pk, "title": "Q3", "description": "Plans"}
    assert_error(
        client_for(team.member).post(f"{API}/boards/", payload, format="json"), 403, "forbidden"
    )
    assert_error(
        client_for(team.outsider).post(f"{API}/boards/", payload, format="json"), 404, "not_found"
    )
    response = client_for(team.admin).post(f"{API}/boards/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert {
        k: body[k] for k in ("workspace", "title", "description", "seq", "locked", "version")
    } == {
        "workspace": team.workspace.pk,
        "title": "Q3",
        "description": "Plans",
        "seq": 0,
        "locked": False,
        "version": 1,
    }
    assert response["ETag"] == '"1"'


def test_create_validation(team):
    client = client_for(team.admin)
    cases = [
        ({"workspace": team.workspace.pk}, "title"),
        ({"workspace": team.workspace.pk, "title": ""}, "title"),
        ({"workspace": team.workspace.pk, "title": "x" * 201}, "title"),
        ({"workspace": team.workspace.pk, "title": "a\nb"}, "title"),
        ({"workspace": str(team.workspace.pk), "title": "x"}, "workspace"),
        ({"workspace": True, "title": "x"}, "workspace"),
        ({"workspace": team.workspace.pk, "title": "x", "locked": True}, "locked"),
    ]
    for payload, field in cases:
        body = assert_error(client.post(f"{API}/boards/", payload, format="json"), 400, "invalid")
        assert field in body["detail"], (payload, body)


def test_retrieve_carries_etag(team):
    response = client_for(team.viewer).get(f"{API}/boards/{team.board.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{team.board.version}"'
    assert_error(client_for(team.outsider).get(f"{API}/boards/{team.board.pk}/"), 404, "not_found")


def test_patch_with_if_match(team):
    client = client_for(team.admin)
    url = f"{API}/boards/{team.board.pk}/"
    response = client.patch(url, {"title": "Renamed"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed" and response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    # The version the client read is now stale.
    body = assert_error(
        client.patch(url, {"title": "Again"}, format="json", HTTP_IF_MATCH='"1"'),
        412,
        "precondition_failed",
    )
    assert body["detail"] == {"version": ["2"]}
    assert Board.objects.get(pk=team.board.pk).title == "Renamed"
    # Bare and weak forms are accepted; no If-Match means no check.
    assert (
        client.patch(url, {"description": "d"}, format="json", HTTP_IF_MATCH="2").status_code == 200
    )
    assert (
        client.patch(url, {"description": "e"}, format="json", HTTP_IF_MATCH='W/"3"').status_code
        == 200
    )
    assert client.patch(url, {"description": "f"}, format="json").status_code == 200
    assert (
        client.patch(url, {"description": "g"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    )


@pytest.mark.parametrize("header", ['"abc"', "1, 2", '"-1"', "", "v1"])
def test_malformed_if_match_is_a_400(team, header):
    response = client_for(team.admin).patch(
        f"{API}/boards/{team.board.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert_error(response, 400, "bad_request")
    assert Board.objects.get(pk=team.board.pk).version == 1


def test_patch_permissions_and_validation(team):
    url = f"{API}/boards/{team.board.pk}/"
    assert_error(
        client_for(team.member).patch(url, {"title": "x"}, format="json"), 403, "forbidden"
    )
    assert_error(
        client_for(team.outsider).patch(url, {"title": "x"}, format="json"), 404, "not_found"
    )
    admin = client_for(team.admin)
    assert assert_error(admin.patch(url, {}, format="json"), 400, "invalid")["detail"] == {
        "non_field_errors": ["Give at least one field to change."]
    }
    assert (
        "title"
        in assert_error(admin.patch(url, {"title": None}, format="json"), 400, "invalid")["detail"]
    )
    assert (
        "seq" in assert_error(admin.patch(url, {"seq": 5}, format="json"), 400, "invalid")["detail"]
    )


def test_delete_with_if_match(team):
    url = f"{API}/boards/{team.board.pk}/"
    assert_error(client_for(team.member).delete(url), 403, "forbidden")
    assert_error(client_for(team.outsider).delete(url), 404, "not_found")
    admin = client_for(team.admin)
    assert_error(admin.delete(url, HTTP_IF_MATCH='"7"'), 412, "precondition_failed")
    assert Board.objects.filter(pk=team.board.pk).exists()
    assert admin.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not Board.objects.filter(pk=team.board.pk).exists()
    assert_error(admin.get(url), 404, "not_found")


def test_lock_and_unlock(team):
    member = client_for(team.member)
    assert_error(member.post(f"{API}/boards/{team.board.pk}/lock/"), 403, "forbidden")
    response = client_for(team.admin).post(f"{API}/boards/{team.board.pk}/lock/")
    assert response.status_code == 200 and response.json()["locked"] is True
    assert response["ETag"] == f'"{response.json()["version"]}"'
    assert_error(
        member.post(f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json"),
        423,
        "board_locked",
    )
    assert member.get(f"{API}/boards/{team.board.pk}/").status_code == 200
    # Admins still write while it is locked.
    assert (
        client_for(team.admin)
        .post(f"{API}/cards/", {"column": team.todo.pk, "title": "x"}, format="json")
        .status_code
        == 201
    )
    response = client_for(team.admin).post(f"{API}/boards/{team.board.pk}/unlock/")
    assert response.json()["locked"] is False
    assert (
        member.post(
            f"{API}/cards/", {"column": team.todo.pk, "title": "y"}, format="json"
        ).status_code
        == 201
    )
    events = list(
        Event.objects.filter(
            board=team.board, event__in=["board.locked", "board.unlocked"]
        ).values_list("event", flat=True)
    )
    assert events == ["board.locked", "board.unlocked"]


def test_snapshot(team):
    card = make_card(team.member, team.todo, "A")
    archived = make_card(team.member, team.todo, "Gone")
    client_for(team.member).patch(f"{API}/cards/{archived.pk}/", {"archived": True}, format="json")
    response = client_for(team.viewer).get(f"{API}/boards/{team.board.pk}/snapshot/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"seq", "board", "columns", "cards", "labels", "members"}
    assert body["seq"] == Board.objects.get(pk=team.board.pk).seq
    assert body["board"] == client_for(team.viewer).get(f"{API}/boards/{team.board.pk}/").json()
    assert [c["id"] for c in body["columns"]] == [team.todo.pk, team.done.pk]
    assert [c["id"] for c in body["cards"]] == [card.pk]
    assert body["cards"][0] == client_for(team.viewer).get(f"{API}/cards/{card.pk}/").json()
    assert {m["user"]["username"] for m in body["members"]} == {
        "owner",
        "admin",
        "member",
        "viewer",
    }
    assert_error(
        client_for(team.outsider).get(f"{API}/boards/{team.board.pk}/snapshot/"), 404, "not_found"
    )
