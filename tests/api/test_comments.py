"""Comments over REST: create, edit by the author, delete, hide and unhide."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from collab.models import Comment, ModerationAction, ModerationKind
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import (
    make_board,
    make_card,
    make_column,
    make_comment,
    make_user,
    make_workspace,
)


def test_create_and_list(team):
    card = make_card(team.member, team.todo)
    other = make_card(team.member, team.done)
    member = client_for(team.member)
    response = member.post(
        f"{API}/comments/", {"card": card.pk, "body": "First!\nSecond line"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["author"] == {"id": team.member.pk, "username": "member"}
    assert (body["card"], body["body"], body["hidden"], body["edited_at"]) == (
        card.pk,
        "First!\nSecond line",
        False,
        None,
    )
    make_comment(team.admin, card, "Second")
    make_comment(team.admin, other, "Elsewhere")
    listed = client_for(team.viewer).get(f"{API}/comments/", {"card": card.pk}).json()["results"]
    assert [c["body"] for c in listed] == ["First!\nSecond line", "Second"]
    assert client_for(team.viewer).get(f"{API}/comments/").json()["count"] == 3
    foreign_card = make_card(
        team.outsider,
        make_column(team.outsider, make_board(team.outsider, make_workspace(team.outsider))),
    )
    assert_error(member.get(f"{API}/comments/", {"card": foreign_card.pk}), 404, "not_found")
    assert_error(
        member.post(f"{API}/comments/", {"card": foreign_card.pk, "body": "hi"}, format="json"),
        404,
        "not_found",
    )


def test_create_rules(team):
    card = make_card(team.member, team.todo)
    assert_error(
        client_for(team.viewer).post(
            f"{API}/comments/", {"card": card.pk, "body": "x"}, format="json"
        ),
        403,
        "forbidden",
    )
    member = client_for(team.member)
    assert (
        "body"
        in assert_error(
            member.post(f"{API}/comments/", {"card": card.pk, "body": ""}, format="json"),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "body"
        in assert_error(
            member.post(f"{API}/comments/", {"card": card.pk, "body": {"a": 1}}, format="json"),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "body"
        in assert_error(
            member.post(f"{API}/comments/", {"card": card.pk, "body": "x" * 10_001}, format="json"),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "card"
        in assert_error(
            member.post(f"{API}/comments/", {"body": "x"}, format="json"), 400, "invalid"
        )["detail"]
    )


def test_retrieve_edit_delete(team):
    comment = make_comment(team.member, make_card(team.member, team.todo), "Hello")
    url = f"{API}/comments/{comment.pk}/"
    assert client_for(team.viewer).get(url).json()["body"] == "Hello"
    assert_error(client_for(team.outsider).get(url), 404, "not_found")
    assert_error(
        client_for(team.admin).patch(url, {"body": "Not yours"}, format="json"), 403, "forbidden"
    )
    response = client_for(team.member).patch(url, {"body": "Edited"}, format="json")
    assert response.status_code == 200
    assert response.json()["body"] == "Edited" and response.json()["edited_at"] is not None
    assert_error(client_for(team.viewer).delete(url), 403, "forbidden")
    # A board admin may delete someone else's comment.
    assert client_for(team.admin).delete(url).status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_author_deletes_own_comment_but_not_others(team):
    card = make_card(team.member, team.todo)
    mine = make_comment(team.member, card, "mine")
    theirs = make_comment(team.admin, card, "theirs")
    member = client_for(team.member)
    assert_error(member.delete(f"{API}/comments/{theirs.pk}/"), 403, "forbidden")
    assert member.delete(f"{API}/comments/{mine.pk}/").status_code == 204


def test_hide_and_unhide(team):
    comment = make_comment(team.member, make_card(team.member, team.todo), "Rude words")
    url = f"{API}/comments/{comment.pk}"
    reason = {"reason": "Insults"}
    assert_error(client_for(team.member).post(f"{url}/hide/", reason), 403, "forbidden")
    assert_error(client_for(team.outsider).post(f"{url}/hide/", reason), 404, "not_found")
    response = client_for(team.admin).post(f"{url}/hide/", reason)
    assert response.status_code == 200
    assert response.json()["hidden"] is True and response.json()["body"] == ""
    assert client_for(team.viewer).get(f"{url}/").json()["body"] == ""
    assert_error(
        client_for(team.member).patch(f"{url}/", {"body": "x"}, format="json"),
        403,
        "forbidden",
    )
    response = client_for(team.admin).post(f"{url}/unhide/", {"reason": "Fair enough"})
    assert response.status_code == 200
    assert (response.json()["hidden"], response.json()["body"]) == (False, "Rude words")


@pytest.mark.parametrize("route", ["hide", "unhide"])
def test_hiding_asks_a_reason(team, route):
    comment = make_comment(team.member, make_card(team.member, team.todo), "Rude words")
    admin = client_for(team.admin)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = admin.post(f"{API}/comments/{comment.pk}/{route}/", body, format="json")
        assert_error(response, 400, "invalid")
    assert not ModerationAction.objects.exists()
    assert Comment.objects.get(pk=comment.pk).hidden is False


@pytest.mark.parametrize("who", ["admin", "moderator"])
def test_a_rest_hide_is_audited_with_its_reason(team, who):
    """Defect 7: a REST hide by a moderator or a board admin leaves one ModerationAction."""
    comment = make_comment(team.member, make_card(team.member, team.todo), "Rude words")
    actor = team.admin
    if who == "moderator":
        actor = make_user("mod", is_staff=True)
        actor.groups.add(Group.objects.get(name="Moderators"))
        # Not a member: moderators moderate every board, through the audited service.
    client = client_for(actor)
    response = client.post(f"{API}/comments/{comment.pk}/hide/", {"reason": "Insults"})
    assert response.status_code == 200, response.content
    (row,) = ModerationAction.objects.all()
    assert (row.moderator_id, row.action, row.target_id, row.reason) == (
        actor.pk,
        ModerationKind.COMMENT_HIDE,
        comment.pk,
        "Insults",
    )
    response = client.post(f"{API}/comments/{comment.pk}/unhide/", {"reason": "Appealed"})
    assert response.status_code == 200, response.content
    assert ModerationAction.objects.first().action == ModerationKind.COMMENT_UNHIDE
    assert ModerationAction.objects.first().reason == "Appealed"
