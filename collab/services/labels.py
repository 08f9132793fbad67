"""Writes to a board's labels."""

from __future__ import annotations

from django.db import transaction

from collab.event_types import CARD_UPDATED, LABEL_CREATED, LABEL_DELETED, LABEL_UPDATED
from collab.events import record_event
from collab.exceptions import Conflict
from collab.models import Card, Label
from collab.permissions import Action, AnyUser
from collab.representations import CardSerializer, LabelSerializer
from collab.services.guards import board_for_write, row_for_write
from collab.services.versioning import save_versioned
from collab.validation import clean_color, clean_text


def _ensure_unique(board_id: int, name: str, exclude: int | None = None) -> None:
    others = Label.objects.filter(board_id=board_id, name=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise Conflict("A label with this name exists.", detail={"name": ["Already used."]})


def label_create(*, actor: AnyUser, board_id: int, name: str, color: str = "#888888") -> Label:
    """Add a label to a board."""
    name = clean_text(name, field="name", max_length=50)
    color = clean_color(color)
    with transaction.atomic():
        board = board_for_write(actor, board_id, Action.MANAGE_BOARD)
        _ensure_unique(board.pk, name)
        label = Label.objects.create(board=board, name=name, color=color)
        record_event(
            board=board,
            event=LABEL_CREATED,
            data=LabelSerializer(label).data,
            actor=actor,
        )
    return label


def label_update(
    *, actor: AnyUser, label_id: int, name: str | None = None, color: str | None = None
) -> Label:
    """Rename or recolour a label."""
    with transaction.atomic():
        label = row_for_write(actor, Label, label_id, Action.MANAGE_BOARD)
        if name is not None:
            label.name = clean_text(name, field="name", max_length=50)
            _ensure_unique(label.board_id, label.name, exclude=label.pk)
        if color is not None:
            label.color = clean_color(color)
        label.save()
        record_event(
            board=label.board,
            event=LABEL_UPDATED,
            data=LabelSerializer(label).data,
            actor=actor,
        )
    return label


def label_delete(*, actor: AnyUser, label_id: int) -> None:
    """Delete a label; each card that had it loses it, with a new version and its event."""
    with transaction.atomic():
        label = row_for_write(actor, Label, label_id, Action.MANAGE_BOARD)
        cards = Card.objects.filter(board_id=label.board_id, labels=label).order_by("pk")
        for card in cards:
            card.labels.remove(label)
            card.board = label.board
            save_versioned(card, fields=[])
            record_event(
                board=label.board, event=CARD_UPDATED, data=CardSerializer(card).data, actor=actor
            )
        record_event(board=label.board, event=LABEL_DELETED, data={"id": label.pk}, actor=actor)
        label.delete()
