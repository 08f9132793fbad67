"""Workspaces and members over REST."""

from __future__ import annotations

from collab.models import Board, Membership, Role, Workspace
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_user, make_workspace


def test_list_shows_only_my_workspaces_with_my_role(team):
    make_workspace(team.outsider, "Elsewhere")
    body = client_for(team.viewer).get(f"{API}/workspaces/").json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": team.workspace.pk,
        "name": "Acme",
        "role": "viewer",
        "created_at": body["results"][0]["created_at"],
    }


def test_create_makes_me_owner(team):
    response = client_for(team.outsider).post(f"{API}/workspaces/", {"name": "Mine"}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "owner"
    assert (
        Membership.objects.get(workspace_id=response.json()["id"], user=team.outsider).role
        == Role.OWNER
    )


def test_create_validates(team):
    client = client_for(team.member)
    assert (
        "name"
        in assert_error(
            client.post(f"{API}/workspaces/", {"name": "  "}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert (
        "name"
        in assert_error(
            client.post(f"{API}/workspaces/", {"name": 3}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert (
        "name"
        in assert_error(client.post(f"{API}/workspaces/", {}, format="json"), 400, "invalid")[
            "detail"
        ]
    )
    body = assert_error(
        client.post(f"{API}/workspaces/", {"name": "a\x00b"}, format="json"), 400, "invalid"
    )
    assert "name" in body["detail"]


def test_retrieve_and_rename(team):
    url = f"{API}/workspaces/{team.workspace.pk}/"
    assert client_for(team.viewer).get(url).json()["role"] == "viewer"
    assert_error(client_for(team.outsider).get(url), 404, "not_found")
    assert_error(
        client_for(team.member).patch(url, {"name": "New"}, format="json"), 403, "forbidden"
    )
    response = client_for(team.admin).patch(url, {"name": "New"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "New" and response.json()["role"] == "admin"
    assert_error(
        client_for(team.outsider).patch(url, {"name": "X"}, format="json"), 404, "not_found"
    )


def test_delete_is_for_owners(team):
    url = f"{API}/workspaces/{team.workspace.pk}/"
    assert_error(client_for(team.admin).delete(url), 403, "forbidden")
    assert_error(client_for(team.outsider).delete(url), 404, "not_found")
    assert client_for(team.owner).delete(url).status_code == 204
    assert not Workspace.objects.filter(pk=team.workspace.pk).exists()
    assert not Board.objects.filter(pk=team.board.pk).exists()


def test_members_list(team):
    body = client_for(team.viewer).get(f"{API}/workspaces/{team.workspace.pk}/members/").json()
    assert [(m["user"]["username"], m["role"]) for m in body["results"]] == [
        ("admin", "admin"),
        ("member", "member"),
        ("owner", "owner"),
        ("viewer", "viewer"),
    ]
    assert_error(
        client_for(team.outsider).get(f"{API}/workspaces/{team.workspace.pk}/members/"),
        404,
        "not_found",
    )


def test_add_member(team):
    url = f"{API}/workspaces/{team.workspace.pk}/members/"
    newcomer = make_user("newcomer")
    assert_error(
        client_for(team.member).post(
            url, {"username": "newcomer", "role": "member"}, format="json"
        ),
        403,
        "forbidden",
    )
    response = client_for(team.admin).post(
        url, {"username": "newcomer", "role": "member"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["user"] == {"id": newcomer.pk, "username": "newcomer"}
    assert response.json()["role"] == "member"
    # Errors: duplicate, unknown user, bad role, admins cannot make owners, wrong types.
    admin = client_for(team.admin)
    assert_error(
        admin.post(url, {"username": "newcomer", "role": "member"}, format="json"), 409, "conflict"
    )
    assert (
        "username"
        in assert_error(
            admin.post(url, {"username": "ghost", "role": "member"}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert (
        "role"
        in assert_error(
            admin.post(url, {"username": "outsider", "role": "king"}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert_error(
        admin.post(url, {"username": "outsider", "role": "owner"}, format="json"), 403, "forbidden"
    )
    assert (
        "role"
        in assert_error(
            admin.post(url, {"username": "outsider", "role": 1}, format="json"), 400, "invalid"
        )["detail"]
    )
    assert_error(
        client_for(team.outsider).post(
            url, {"username": "outsider", "role": "owner"}, format="json"
        ),
        404,
        "not_found",
    )


def test_change_and_remove_member(team):
    url = f"{API}/workspaces/{team.workspace.pk}/members/{team.viewer.pk}/"
    response = client_for(team.admin).patch(url, {"role": "member"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "member"
    assert_error(
        client_for(team.member).patch(url, {"role": "admin"}, format="json"), 403, "forbidden"
    )
    assert_error(
        client_for(team.admin).patch(
            f"{API}/workspaces/{team.workspace.pk}/members/{team.outsider.pk}/",
            {"role": "member"},
            format="json",
        ),
        404,
        "not_found",
    )
    assert client_for(team.admin).delete(url).status_code == 204
    assert not Membership.objects.filter(workspace=team.workspace, user=team.viewer).exists()


def test_anyone_may_leave_but_the_last_owner(team):
    me = f"{API}/workspaces/{team.workspace.pk}/members/{team.member.pk}/"
    assert client_for(team.member).delete(me).status_code == 204
    owner = f"{API}/workspaces/{team.workspace.pk}/members/{team.owner.pk}/"
    assert_error(client_for(team.owner).delete(owner), 409, "conflict")
    assert_error(
        client_for(team.owner).patch(owner, {"role": "admin"}, format="json"), 409, "conflict"
    )
