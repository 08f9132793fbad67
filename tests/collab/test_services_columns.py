"""Column services: placement, renaming, deletion with cards, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from collab.exceptions import NotFound, PreconditionFailed, ValidationFailed
from collab.models import Card, Column
from collab.services.columns import column_create, column_delete, column_move, column_update
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import make_board, make_card, make_column


def _titles(team: Team) -> list[str]:
    return list(
        Column.objects.filter(board=team.board).order_by("position").values_list("title", flat=True)
    )


@pytest.mark.parametrize(
    "title", ["", "  ", "x" * 201, "tab\there", "nul\x00", "\ud83d", None], ids=repr
)
def test_titles_are_validated(team: Team, title: Any, published: list[Published]) -> None:
    with refused(ValidationFailed, field="title", published=published):
        column_create(actor=team.admin, board_id=team.board.pk, title=title)
    with refused(ValidationFailed, field="title", published=published):
        column_update(actor=team.admin, column_id=team.todo.pk, title=title)


def test_columns_are_placed_by_their_neighbours(team: Team) -> None:
    column_create(actor=team.admin, board_id=team.board.pk, title="Doing", after=team.todo.pk)
    column_create(actor=team.admin, board_id=team.board.pk, title="Inbox", before=team.todo.pk)
    column_create(actor=team.admin, board_id=team.board.pk, title="Archive")
    assert _titles(team) == ["Inbox", "To do", "Doing", "Done", "Archive"]
    column_move(actor=team.admin, column_id=team.done.pk, before=team.todo.pk)
    assert _titles(team) == ["Inbox", "Done", "To do", "Doing", "Archive"]
    column_move(actor=team.admin, column_id=team.done.pk)
    assert _titles(team) == ["Inbox", "To do", "Doing", "Archive", "Done"]


def test_anchors_must_be_columns_of_the_same_board(team: Team) -> None:
    elsewhere = make_column(team.owner, make_board(team.owner, team.workspace, "Other"))
    with refused(ValidationFailed, field="after"):
        column_create(actor=team.admin, board_id=team.board.pk, title="X", after=elsewhere.pk)
    with refused(ValidationFailed, field="before"):
        column_move(actor=team.admin, column_id=team.todo.pk, before=elsewhere.pk)
    with refused(ValidationFailed, field="after"):
        column_move(actor=team.admin, column_id=team.todo.pk, after=team.todo.pk)


def test_rename_and_stale_versions(team: Team) -> None:
    column = column_update(
        actor=team.admin, column_id=team.todo.pk, title="  Backlog ", expected_version=1
    )
    assert (column.title, column.version) == ("Backlog", 2)
    with refused(PreconditionFailed):
        column_update(actor=team.admin, column_id=team.todo.pk, title="Lost", expected_version=1)
    with refused(PreconditionFailed):
        column_move(
            actor=team.admin, column_id=team.todo.pk, after=team.done.pk, expected_version=1
        )


def test_delete_takes_the_cards_along(team: Team) -> None:
    make_card(team.member, team.done, "A")
    kept = make_card(team.member, team.todo, "B")
    column_delete(actor=team.admin, column_id=team.done.pk)
    assert list(Card.objects.filter(board=team.board)) == [kept]
    with refused(NotFound):
        column_delete(actor=team.admin, column_id=team.done.pk)
