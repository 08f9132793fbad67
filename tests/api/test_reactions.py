"""Reactions on comments over REST: one of each kind per user, toggled, as board events."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collab.models import Comment, Event
from collab.services.boards import board_set_locked
from collab.services.comments import comment_react, comment_set_hidden
from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for
from tests.factories import make_card, make_comment


@pytest.fixture
def comment(team: Team) -> Comment:
    return make_comment(team.owner, make_card(team.owner, team.todo), "Ship it?")


def _react(client: Any, comment: Comment, **body: Any) -> Any:
    return client.post(f"{API}/comments/{comment.pk}/reactions/", body, format="json")


def test_a_reaction_toggles_and_each_change_is_an_event(team: Team, comment: Comment) -> None:
    member = client_for(team.member)
    added = _react(member, comment, reaction="heart")
    assert added.status_code == 200, added.content
    assert added.json()["reactions"] == [
        {
            "reaction": "heart",
            "emoji": "\u2764\ufe0f",
            "count": 1,
            "users": [{"id": team.member.pk, "username": "member"}],
        }
    ]
    event = Event.objects.filter(board=team.board).latest("seq")
    assert event.event == "comment.reacted" and event.actor == team.member
    assert event.data == added.json()
    removed = _react(member, comment, reaction="heart")
    assert removed.status_code == 200 and removed.json()["reactions"] == []
    assert Event.objects.filter(board=team.board, event="comment.reacted").count() == 2


def test_one_of_each_kind_per_user_counted_in_a_fixed_order(team: Team, comment: Comment) -> None:
    for user, reaction in [(team.member, "rocket"), (team.admin, "rocket"), (team.admin, "+1")]:
        assert _react(client_for(user), comment, reaction=reaction, active=True).status_code == 200
    seq = team.board.__class__.objects.get(pk=team.board.pk).seq
    again = _react(client_for(team.member), comment, reaction="rocket", active=True)
    assert again.status_code == 200
    assert team.board.__class__.objects.get(pk=team.board.pk).seq == seq  # no change, no event
    groups = again.json()["reactions"]
    assert [(g["reaction"], g["count"]) for g in groups] == [("+1", 1), ("rocket", 2)]
    assert [u["username"] for u in groups[1]["users"]] == ["member", "admin"]
    listed = client_for(team.viewer).get(f"{API}/comments/?card={comment.card_id}").json()
    assert listed["results"][0]["reactions"] == groups
    taken_back = _react(client_for(team.admin), comment, reaction="rocket", active=False)
    assert [(g["reaction"], g["count"]) for g in taken_back.json()["reactions"]] == [
        ("+1", 1),
        ("rocket", 1),
    ]


def test_refusals(team: Team, comment: Comment) -> None:
    assert_error(_react(client_for(team.viewer), comment, reaction="+1"), 403, "forbidden")
    assert_error(_react(client_for(team.outsider), comment, reaction="+1"), 404, "not_found")
    bad = _react(client_for(team.member), comment, reaction="thumbsup")
    assert_error(bad, 400, "invalid")
    assert "reaction" in bad.json()["detail"]
    assert_error(_react(client_for(team.member), comment, reaction=1), 400, "invalid")
    assert_error(
        _react(client_for(team.member), comment, reaction="+1", active="yes"),
        400,
        "invalid",
    )
    assert_error(_react(client_for(team.member), comment), 400, "invalid")
    missing = client_for(team.member).post(
        f"{API}/comments/999999/reactions/", {"reaction": "+1"}, format="json"
    )
    assert_error(missing, 404, "not_found")
    assert Comment.objects.get(pk=comment.pk).reactions.count() == 0  # nothing was saved


def test_a_hidden_comment_or_a_locked_board_takes_no_reactions(
    team: Team, comment: Comment
) -> None:
    board_set_locked(actor=team.owner, board_id=team.board.pk, locked=True)
    assert_error(_react(client_for(team.member), comment, reaction="+1"), 423, "board_locked")
    board_set_locked(actor=team.owner, board_id=team.board.pk, locked=False)
    comment_set_hidden(actor=team.owner, comment_id=comment.pk, hidden=True)
    assert_error(_react(client_for(team.member), comment, reaction="+1"), 403, "forbidden")


def test_listing_comments_with_reactions_reads_a_constant_number_of_rows(team: Team) -> None:
    card = make_card(team.owner, team.todo)
    member = client_for(team.member)

    def listing() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert member.get(f"{API}/comments/?card={card.pk}").status_code == 200
        return len(queries)

    make_comment(team.owner, card, "one")
    listing()  # the first request also records the token's use
    few = listing()
    for index in range(5):
        extra = make_comment(team.owner, card, f"more {index}")
        for user in (team.owner, team.admin, team.member):
            comment_react(actor=user, comment_id=extra.pk, reaction="eyes")
    assert listing() == few
