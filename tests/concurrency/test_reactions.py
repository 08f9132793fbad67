"""One reaction of each kind per user, however many requests race (collab.services.comments)."""

from __future__ import annotations

from functools import partial

import pytest

from collab.models import Event, Reaction
from collab.services.comments import comment_react
from tests.concurrency.conftest import describe, run_together
from tests.factories import add_member, make_board, make_card, make_column, make_comment, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_adds_of_one_reaction_make_one_row_and_one_event() -> None:
    owner, member = make_user("owner"), make_user("member")
    board = make_board(owner)
    add_member(board.workspace, owner, member)
    comment = make_comment(owner, make_card(owner, make_column(owner, board)))
    events = Event.objects.count()
    add = partial(comment_react, actor=member, comment_id=comment.pk, reaction="+1", active=True)
    outcomes = run_together(add, add, add, add)
    assert all(outcome.ok for outcome in outcomes), describe(outcomes)
    assert Reaction.objects.filter(comment=comment, user=member).count() == 1
    assert Event.objects.count() == events + 1  # the others changed nothing


def test_racing_toggles_of_two_users_both_count() -> None:
    owner, member = make_user("owner"), make_user("member")
    board = make_board(owner)
    add_member(board.workspace, owner, member)
    comment = make_comment(owner, make_card(owner, make_column(owner, board)))
    outcomes = run_together(
        partial(comment_react, actor=owner, comment_id=comment.pk, reaction="rocket"),
        partial(comment_react, actor=member, comment_id=comment.pk, reaction="rocket"),
    )
    assert all(outcome.ok for outcome in outcomes), describe(outcomes)
    assert Reaction.objects.filter(comment=comment, reaction="rocket").count() == 2
