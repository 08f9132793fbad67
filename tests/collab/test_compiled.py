"""Compiled queries answer what their QuerySet answers, for every reader."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from collab.compiled import CompiledQuery
from collab.exceptions import NotFound
from collab.models import Board
from collab.selectors import board_get_for_user, board_seq_for_user
from tests.conftest import Team
from tests.factories import make_board, make_card


@pytest.mark.django_db
def test_the_compiled_board_check_agrees_with_the_orm_for_every_reader(
    team: Team, django_assert_num_queries: Any
) -> None:
    make_card(team.member, team.todo, "moves the seq")
    other = make_board(team.outsider, title="elsewhere")
    for user in (team.owner, team.admin, team.member, team.viewer, team.outsider):
        for board in (team.board, other):
            try:
                expected: int | None = board_get_for_user(user=user, board_id=board.pk).seq
            except NotFound:
                expected = None
            with django_assert_num_queries(1):
                try:
                    got: int | None = board_seq_for_user(user=user, board_id=board.pk)
                except NotFound:
                    got = None
            assert got == expected, (user.username, board.title)
    assert (
        board_seq_for_user(user=team.member, board_id=team.board.pk)
        == Board.objects.get(pk=team.board.pk).seq
    )


@pytest.mark.django_db
def test_suspended_anonymous_and_missing_read_nothing(
    team: Team, django_assert_num_queries: Any
) -> None:
    team.member.is_active = False
    with django_assert_num_queries(0), pytest.raises(NotFound):
        board_seq_for_user(user=team.member, board_id=team.board.pk)
    with django_assert_num_queries(0), pytest.raises(NotFound):
        board_seq_for_user(user=AnonymousUser(), board_id=team.board.pk)
    with pytest.raises(NotFound):
        board_seq_for_user(user=team.owner, board_id=10**9)


@pytest.mark.django_db
def test_an_argument_folded_into_the_sql_is_refused() -> None:
    folded = CompiledQuery(lambda board_id: Board.objects.filter(title=str(board_id)), 1)
    with pytest.raises(ValueError, match="did not reach the SQL"):
        folded.rows(1)
    with pytest.raises(TypeError):
        CompiledQuery(lambda board_id: Board.objects.filter(pk=board_id), 1).rows("1")  # type: ignore[arg-type]
