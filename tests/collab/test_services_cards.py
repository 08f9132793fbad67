"""Card services: what they change, what they refuse, and that a refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

import collab.services.cards
import collab.services.guards
from collab.exceptions import BoardLocked, NotFound, PreconditionFailed, ValidationFailed
from collab.models import Board, Card, Comment, Event
from collab.services.boards import board_set_locked
from collab.services.cards import card_archive, card_create, card_delete, card_move, card_update
from collab.services.labels import label_create
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import make_board, make_card, make_column, make_comment

BAD_TITLES = [
    pytest.param("", id="empty"),
    pytest.param("   \t ", id="blank"),
    pytest.param("x" * 501, id="too-long"),
    pytest.param("null\x00byte", id="null-byte"),
    pytest.param("bell\x07", id="control"),
    pytest.param("two\nlines", id="newline"),
    pytest.param("del\x7f", id="delete-char"),
    pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
    pytest.param(42, id="not-a-string"),
]


@pytest.mark.parametrize("title", BAD_TITLES)
def test_create_refuses_bad_titles(team: Team, title: Any, published: list[Published]) -> None:
    with refused(ValidationFailed, field="title", published=published):
        card_create(actor=team.member, column_id=team.todo.pk, title=title)


@pytest.mark.parametrize("title", BAD_TITLES)
def test_update_refuses_bad_titles(team: Team, title: Any) -> None:
    card = make_card(team.member, team.todo, "Keep")
    with refused(ValidationFailed, field="title"):
        card_update(actor=team.member, card_id=card.pk, title=title, description="also not saved")


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("null\x00byte", id="null-byte"),
        pytest.param("escape\x1b[31m", id="escape"),
        pytest.param("\udfff", id="lone-surrogate"),
        pytest.param("x" * 50_001, id="too-long"),
    ],
)
def test_descriptions_refuse_control_characters_but_keep_lines(
    team: Team, description: str
) -> None:
    with refused(ValidationFailed, field="description"):
        card_create(actor=team.member, column_id=team.todo.pk, title="T", description=description)
    card = card_create(
        actor=team.member, column_id=team.todo.pk, title="  Padded  ", description="a\n\tb\r\n"
    )
    assert (card.title, card.description) == ("Padded", "a\n\tb\r\n")
    assert (
        card_create(actor=team.member, column_id=team.todo.pk, title="Émoji 🎉 ok").title
        == "Émoji 🎉 ok"
    )


def test_assignees_must_be_members(team: Team) -> None:
    with refused(ValidationFailed, field="assignees"):
        card_create(
            actor=team.member, column_id=team.todo.pk, title="T", assignees=[team.outsider.pk]
        )
    card = make_card(team.member, team.todo, assignees=[team.viewer.pk])
    with refused(ValidationFailed, field="assignees"):
        card_update(
            actor=team.member, card_id=card.pk, assignees=[team.member.pk, team.outsider.pk]
        )
    with refused(ValidationFailed, field="assignees"):
        card_update(actor=team.member, card_id=card.pk, assignees=[10**9])


def test_labels_must_belong_to_the_board(team: Team) -> None:
    other_board = make_board(team.owner, team.workspace, "Other")
    foreign = label_create(actor=team.owner, board_id=other_board.pk, name="Foreign")
    own = label_create(actor=team.owner, board_id=team.board.pk, name="Own")
    with refused(ValidationFailed, field="labels"):
        card_create(
            actor=team.member, column_id=team.todo.pk, title="T", labels=[own.pk, foreign.pk]
        )
    card = make_card(team.member, team.todo, labels=[own.pk])
    with refused(ValidationFailed, field="labels"):
        card_update(actor=team.member, card_id=card.pk, labels=[foreign.pk])
    assert list(card.labels.values_list("pk", flat=True)) == [own.pk]


def test_placement_anchors_must_be_in_the_target_column(team: Team) -> None:
    in_done = make_card(team.member, team.done, "Done")
    card = make_card(team.member, team.todo, "Todo")
    with refused(ValidationFailed, field="after"):
        card_create(actor=team.member, column_id=team.todo.pk, title="T", after=in_done.pk)
    with refused(ValidationFailed, field="before"):
        card_create(actor=team.member, column_id=team.todo.pk, title="T", before=in_done.pk)
    with refused(ValidationFailed, field="after"):
        card_move(actor=team.member, card_id=card.pk, column_id=team.todo.pk, after=in_done.pk)
    with refused(ValidationFailed, field="before"):
        card_move(actor=team.member, card_id=in_done.pk, column_id=team.todo.pk, before=in_done.pk)
    with refused(ValidationFailed, field="after"):
        card_move(actor=team.member, card_id=card.pk, column_id=team.todo.pk, after=card.pk)


def test_columns_must_belong_to_the_cards_board(team: Team) -> None:
    other = make_column(team.owner, make_board(team.owner, team.workspace, "Other"), "Elsewhere")
    card = make_card(team.member, team.todo)
    with refused(ValidationFailed, field="column"):
        card_move(actor=team.member, card_id=card.pk, column_id=other.pk)
    with refused(NotFound):
        card_create(actor=team.member, column_id=10**9, title="T")


def test_update_changes_only_the_given_fields(team: Team) -> None:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    card = make_card(team.member, team.todo, "Title", description="Body", labels=[label.pk])
    updated = card_update(actor=team.member, card_id=card.pk, assignees=[team.admin.pk])
    fresh = Card.objects.get(pk=card.pk)
    assert (fresh.title, fresh.description, fresh.version) == ("Title", "Body", 2)
    assert list(fresh.labels.values_list("pk", flat=True)) == [label.pk]
    assert list(fresh.assignees.values_list("pk", flat=True)) == [team.admin.pk]
    assert updated.version == fresh.version
    card_update(actor=team.member, card_id=card.pk, due_at=None, labels=[], assignees=[])
    fresh = Card.objects.get(pk=card.pk)
    assert (fresh.due_at, fresh.version, fresh.labels.count(), fresh.assignees.count()) == (
        None,
        3,
        0,
        0,
    )


def test_stale_versions_are_refused(team: Team) -> None:
    card = make_card(team.member, team.todo)
    card_update(actor=team.member, card_id=card.pk, title="v2", expected_version=1)
    with refused(PreconditionFailed) as caught:
        card_update(actor=team.member, card_id=card.pk, title="lost update", expected_version=1)
    assert caught.value.detail == {"version": ["2"]}
    with refused(PreconditionFailed):
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk, expected_version=1)
    with refused(PreconditionFailed):
        card_archive(actor=team.member, card_id=card.pk, expected_version=3)
    card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk, expected_version=2)
    assert Card.objects.get(pk=card.pk).version == 3


def test_archive_is_idempotent_and_restorable(team: Team) -> None:
    card = make_card(team.member, team.todo)
    seq = Board.objects.get(pk=team.board.pk).seq
    card_archive(actor=team.member, card_id=card.pk)
    card_archive(actor=team.member, card_id=card.pk)
    assert Board.objects.get(pk=team.board.pk).seq == seq + 1
    restored = card_archive(actor=team.member, card_id=card.pk, archived=False)
    assert (restored.archived, restored.version) == (False, 3)
    assert list(
        Event.objects.filter(board=team.board, seq__gt=seq).values_list("event", flat=True)
    ) == [
        "card.archived",
        "card.updated",
    ]


def test_delete_takes_comments_along(team: Team) -> None:
    card = make_card(team.member, team.todo)
    make_comment(team.admin, card)
    card_delete(actor=team.member, card_id=card.pk)
    assert not Card.objects.filter(pk=card.pk).exists()
    assert not Comment.objects.filter(card_id=card.pk).exists()
    with refused(NotFound):
        card_delete(actor=team.member, card_id=card.pk)


def test_locked_board_refuses_members_but_not_admins(
    team: Team, published: list[Published]
) -> None:
    card = make_card(team.member, team.todo)
    board_set_locked(actor=team.admin, board_id=team.board.pk, locked=True)
    with refused(BoardLocked, published=published):
        card_update(actor=team.member, card_id=card.pk, title="No")
    with refused(BoardLocked):
        card_create(actor=team.member, column_id=team.todo.pk, title="No")
    assert card_update(actor=team.admin, card_id=card.pk, title="Yes").title == "Yes"
    assert (
        card_create(actor=team.owner, column_id=team.todo.pk, title="Owner").board_id
        == team.board.pk
    )


def test_a_card_deleted_while_waiting_for_the_lock_is_not_found(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = make_card(team.member, team.todo)
    real = collab.services.guards.lock_board

    def concurrent_delete_wins(*args: Any, **kwargs: Any) -> Board:
        # Another writer held the lock and deleted the card before ours was granted.
        board = real(*args, **kwargs)
        Card.objects.filter(pk=card.pk).delete()
        return board

    monkeypatch.setattr(collab.services.guards, "lock_board", concurrent_delete_wins)
    with pytest.raises(NotFound):
        card_update(actor=team.member, card_id=card.pk, title="Too late")


def test_update_archives_with_other_fields_in_one_version_and_one_event(team: Team) -> None:
    """Archiving through PATCH is one service call: one version check, one bump, one event."""
    card = make_card(team.member, team.todo, "Old")
    seq = Board.objects.get(pk=team.board.pk).seq
    with refused(PreconditionFailed):
        card_update(
            actor=team.member, card_id=card.pk, title="New", archived=True, expected_version=9
        )
    updated = card_update(
        actor=team.member, card_id=card.pk, title="New", archived=True, expected_version=1
    )
    assert (updated.title, updated.archived, updated.version) == ("New", True, 2)
    events = list(
        Event.objects.filter(board=team.board, seq__gt=seq).values_list("event", flat=True)
    )
    assert events == ["card.archived"]
    # Giving only ``archived``, unchanged, changes nothing.
    same = card_update(actor=team.member, card_id=card.pk, archived=True)
    assert same.version == 2
    restored = card_update(actor=team.member, card_id=card.pk, archived=False)
    assert (restored.archived, restored.version) == (False, 3)
