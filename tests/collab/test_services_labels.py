"""Label services: names, colours, uniqueness, and cards losing a deleted label."""

from __future__ import annotations

from typing import Any

import pytest

from collab.exceptions import Conflict, ValidationFailed
from collab.models import Card, Label
from collab.representations import CardSerializer, represent
from collab.services.labels import label_create, label_delete, label_update
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import make_board, make_card


@pytest.mark.parametrize(
    "color",
    ["red", "#12345", "#1234567", "#GGGGGG", "123456", "", 0xFF0000, "#123456\n", " #123456"],
    ids=repr,
)
def test_bad_colours_are_refused(team: Team, color: Any, published: list[Published]) -> None:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    with refused(ValidationFailed, field="color", published=published):
        label_create(actor=team.admin, board_id=team.board.pk, name="Other", color=color)
    with refused(ValidationFailed, field="color", published=published):
        label_update(actor=team.admin, label_id=label.pk, name="Renamed", color=color)


@pytest.mark.parametrize("name", ["", " ", "x" * 51, "a\x00", "\ud800", "new\nline"], ids=repr)
def test_bad_names_are_refused(team: Team, name: str) -> None:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    with refused(ValidationFailed, field="name"):
        label_create(actor=team.admin, board_id=team.board.pk, name=name)
    with refused(ValidationFailed, field="name"):
        label_update(actor=team.admin, label_id=label.pk, name=name)


def test_colours_are_normalised_and_names_unique_per_board(team: Team) -> None:
    label = label_create(actor=team.admin, board_id=team.board.pk, name=" Bug ", color="#AbCdEf")
    assert (label.name, label.color) == ("Bug", "#abcdef")
    other = label_create(actor=team.admin, board_id=team.board.pk, name="Feature")
    with refused(Conflict):
        label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    with refused(Conflict):
        label_update(actor=team.admin, label_id=other.pk, name="Bug")
    label_update(actor=team.admin, label_id=label.pk, name="Bug")  # its own name is fine
    elsewhere = make_board(team.owner, team.workspace, "Other")
    assert (
        label_create(actor=team.admin, board_id=elsewhere.pk, name="Bug").board_id == elsewhere.pk
    )


def test_deleting_a_label_takes_it_off_cards(team: Team) -> None:
    bug = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    keep = label_create(actor=team.admin, board_id=team.board.pk, name="Keep")
    card = make_card(team.member, team.todo, labels=[bug.pk, keep.pk])
    label_delete(actor=team.admin, label_id=bug.pk)
    assert not Label.objects.filter(pk=bug.pk).exists()
    assert list(Card.objects.get(pk=card.pk).labels.values_list("pk", flat=True)) == [keep.pk]


def test_renaming_a_label_does_not_change_how_cards_look(team: Team) -> None:
    # A rename records no card events, so a card's payload must not depend on names.
    first = label_create(actor=team.admin, board_id=team.board.pk, name="b")
    second = label_create(actor=team.admin, board_id=team.board.pk, name="a")
    card = make_card(
        team.member,
        team.todo,
        labels=[second.pk, first.pk],
        assignees=[team.viewer.pk, team.admin.pk],
    )
    before = represent(CardSerializer, Card.objects.get(pk=card.pk))
    assert before["labels"] == sorted([first.pk, second.pk])
    assert before["assignees"] == sorted([team.viewer.pk, team.admin.pk])
    label_update(actor=team.admin, label_id=first.pk, name="0")
    assert represent(CardSerializer, Card.objects.get(pk=card.pk)) == before
