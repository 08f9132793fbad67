"""Comment services: authorship, moderation, validation, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission

from collab.exceptions import BoardLocked, Forbidden, NotFound, ValidationFailed
from collab.models import Board, Comment, Event
from collab.representations import CommentSerializer, represent
from collab.services.boards import board_set_locked
from collab.services.comments import (
    comment_create,
    comment_delete,
    comment_set_hidden,
    comment_update,
)
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import make_card, make_comment, make_user


@pytest.fixture
def comment(team: Team) -> Comment:
    return make_comment(team.member, make_card(team.member, team.todo), "Original")


def _moderator() -> Any:
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="moderate"))
    user = make_user()
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("body", ["", " \n ", "x" * 10_001, "nul\x00", "\ud800", 7], ids=repr)
def test_bodies_are_validated(
    team: Team, comment: Comment, body: Any, published: list[Published]
) -> None:
    with refused(ValidationFailed, field="body", published=published):
        comment_create(actor=team.member, card_id=comment.card_id, body=body)
    with refused(ValidationFailed, field="body", published=published):
        comment_update(actor=team.member, comment_id=comment.pk, body=body)


def test_multiline_bodies_are_kept_as_written(team: Team, comment: Comment) -> None:
    body = "  Line one\n\tindented\r\nLine three  "
    assert comment_create(actor=team.member, card_id=comment.card_id, body=body).body == body


def test_only_the_author_edits(team: Team, comment: Comment) -> None:
    for other in (team.admin, team.owner):
        with refused(Forbidden):
            comment_update(actor=other, comment_id=comment.pk, body="Not yours")
    with refused(Forbidden):
        comment_update(actor=team.viewer, comment_id=comment.pk, body="Not yours")
    with refused(NotFound):
        comment_update(actor=team.outsider, comment_id=comment.pk, body="Not yours")
    edited = comment_update(actor=team.member, comment_id=comment.pk, body="Mine")
    assert edited.body == "Mine" and edited.edited_at is not None


def test_delete_by_author_or_admin_only(team: Team, comment: Comment) -> None:
    other = make_comment(team.admin, comment.card, "Admin's")
    with refused(Forbidden):
        comment_delete(actor=team.member, comment_id=other.pk)
    comment_delete(actor=team.member, comment_id=comment.pk)
    comment_delete(actor=team.owner, comment_id=other.pk)
    assert not Comment.objects.exists()


def test_hiding_is_for_admins_and_moderators(team: Team, comment: Comment) -> None:
    with refused(Forbidden):
        comment_set_hidden(actor=team.member, comment_id=comment.pk, hidden=True)
    with refused(Forbidden):
        comment_set_hidden(actor=team.viewer, comment_id=comment.pk, hidden=True)
    with refused(NotFound):
        comment_set_hidden(actor=team.outsider, comment_id=comment.pk, hidden=True)
    hidden = comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    assert represent(CommentSerializer, hidden)["body"] == ""
    assert Comment.objects.get(pk=comment.pk).body == "Original"  # withheld, not lost
    with refused(Forbidden):
        comment_update(actor=team.member, comment_id=comment.pk, body="Sneaky edit")
    seq = Board.objects.get(pk=team.board.pk).seq
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)  # no change, no event
    assert Event.objects.filter(board=team.board, seq__gt=seq).count() == 0
    shown = comment_set_hidden(actor=_moderator(), comment_id=comment.pk, hidden=False)
    assert represent(CommentSerializer, shown)["body"] == "Original"


def test_locked_board_refuses_member_comments_but_not_moderation(
    team: Team, comment: Comment
) -> None:
    board_set_locked(actor=team.admin, board_id=team.board.pk, locked=True)
    with refused(BoardLocked):
        comment_create(actor=team.member, card_id=comment.card_id, body="No")
    with refused(BoardLocked):
        comment_update(actor=team.member, comment_id=comment.pk, body="No")
    with refused(BoardLocked):
        comment_delete(actor=team.member, comment_id=comment.pk)
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    comment_set_hidden(actor=_moderator(), comment_id=comment.pk, hidden=False)
    assert comment_create(actor=team.admin, card_id=comment.card_id, body="Admins may").pk
