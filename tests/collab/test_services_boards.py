"""Board services: creation, edits, locking and deletion, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from collab.exceptions import BoardLocked, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from collab.models import Board, Card, Event
from collab.services.boards import board_create, board_delete, board_set_locked, board_update
from collab.services.cards import card_create
from collab.services.columns import column_create
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import make_card


def test_create_records_no_event_and_starts_at_seq_zero(team: Team) -> None:
    board = board_create(
        actor=team.admin,
        workspace_id=team.workspace.pk,
        title=" Sprint ",
        description="Two weeks\n",
    )
    assert (board.title, board.description, board.seq, board.version, board.locked) == (
        "Sprint", "Two weeks\n", 0, 1, False,
    )  # fmt: skip
    assert not Event.objects.filter(board=board).exists()
    with refused(NotFound):
        board_create(actor=team.outsider, workspace_id=team.workspace.pk, title="X")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "\udc00"}, "title"),
        ({"description": "x" * 10_001}, "description"),
        ({"description": "bad\x0b"}, "description"),
    ],
)
def test_edits_are_validated(
    team: Team, fields: dict[str, Any], field: str, published: list[Published]
) -> None:
    with refused(ValidationFailed, field=field, published=published):
        board_update(actor=team.admin, board_id=team.board.pk, **fields)
    with refused(ValidationFailed, field=field):
        board_create(actor=team.admin, workspace_id=team.workspace.pk, **{"title": "ok", **fields})


def test_update_changes_only_what_is_given(team: Team) -> None:
    board_update(actor=team.admin, board_id=team.board.pk, description="Why")
    board = board_update(actor=team.admin, board_id=team.board.pk, title="Q3", expected_version=2)
    assert (board.title, board.description, board.version) == ("Q3", "Why", 3)
    with refused(PreconditionFailed):
        board_update(actor=team.admin, board_id=team.board.pk, title="Stale", expected_version=2)


def test_lock_is_idempotent_and_admins_can_still_write(team: Team) -> None:
    seq = Board.objects.get(pk=team.board.pk).seq
    board_set_locked(actor=team.admin, board_id=team.board.pk, locked=True)
    board_set_locked(actor=team.owner, board_id=team.board.pk, locked=True)
    assert Board.objects.get(pk=team.board.pk).seq == seq + 1
    with refused(BoardLocked):
        card_create(actor=team.member, column_id=team.todo.pk, title="No")
    with refused(Forbidden):
        board_set_locked(actor=team.member, board_id=team.board.pk, locked=False)
    column_create(actor=team.admin, board_id=team.board.pk, title="Admins still write")
    make_card(team.admin, team.todo, "So do owners")
    board_update(actor=team.owner, board_id=team.board.pk, title="Locked but renamed")
    board_set_locked(actor=team.admin, board_id=team.board.pk, locked=False)
    assert card_create(actor=team.member, column_id=team.todo.pk, title="Yes").title == "Yes"


def test_delete_takes_everything_along(team: Team) -> None:
    make_card(team.member, team.todo)
    board_delete(actor=team.admin, board_id=team.board.pk)
    assert not Board.objects.filter(pk=team.board.pk).exists()
    assert not Card.objects.exists()
    assert not Event.objects.filter(board_id=team.board.pk).exists()
    with refused(NotFound):
        board_update(actor=team.admin, board_id=team.board.pk, title="Gone")
