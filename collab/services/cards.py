"""Writes to cards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from collab import docs
from collab.event_types import (
    CARD_ARCHIVED,
    CARD_CREATED,
    CARD_DELETED,
    CARD_MOVED,
    CARD_UPDATED,
    EventType,
)
from collab.events import record_event
from collab.exceptions import NotFound
from collab.models import Board, Card, Column, Label, Membership
from collab.permissions import Action, AnyUser
from collab.representations import CardSerializer
from collab.selectors import CardRelations, card_prime_relations, card_relations
from collab.services.docs import compact, doc_merge_text, doc_reset, locked_doc
from collab.services.guards import (
    UNSET,
    Unset,
    check_version,
    position_among,
    row_for_write,
    stored_user,
)
from collab.services.versioning import save_versioned
from collab.validation import clean_text, invalid

User = get_user_model()
COLUMN_NOT_FOUND = "Column not found."
DESCRIPTION_MAX_LENGTH = 50_000


def _column_of(board: Board, column_id: int) -> Column:
    column = Column.objects.filter(pk=column_id, board=board).first()
    if column is None:
        raise invalid("column", "Not a column of this board.")
    return column


def _assignee_ids(board: Board, ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    if not wanted:
        return []
    found = set(
        Membership.objects.filter(workspace_id=board.workspace_id, user_id__in=wanted)
        .order_by()
        .values_list("user_id", flat=True)
    )
    if missing := sorted(wanted - found):
        raise invalid("assignees", f"Not members of this workspace: {missing}.")
    return sorted(wanted)


def _label_ids(board: Board, ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    if not wanted:
        return []
    found = set(
        Label.objects.filter(board=board, pk__in=wanted).order_by().values_list("pk", flat=True)
    )
    if missing := sorted(wanted - found):
        raise invalid("labels", f"Not labels of this board: {missing}.")
    return sorted(wanted)


def _replace(relation: Any, current: list[int], wanted: list[int]) -> list[int]:
    """Make a card's relation hold ``wanted``, knowing it holds ``current``; return it.

    Only the difference is written (no query when there is none), and no query reads
    what the relation holds: the caller read it under the board lock.
    """
    if removed := sorted(set(current) - set(wanted)):
        relation.remove(*removed)
    if added := sorted(set(wanted) - set(current)):
        relation.add(*added)
    return wanted


def _save_and_record(
    card: Card, *, event: EventType, actor: AnyUser, fields: list[str] | None = None
) -> None:
    """Bump the card's version, save it and record ``event`` with its new shape.

    ``fields`` limits the save to those columns (plus ``version`` and ``updated_at``);
    ``None`` saves them all. Call under the board lock, with the card's relations
    primed (:func:`~collab.selectors.card_prime_relations`), so that its shape costs
    no query.
    """
    save_versioned(card, fields)
    record_event(board=card.board, event=event, data=CardSerializer(card).data, actor=actor)


def card_create(
    *,
    actor: AnyUser,
    column_id: int,
    title: str,
    description: str = "",
    after: int | None = None,
    before: int | None = None,
    assignees: Iterable[int] = (),
    labels: Iterable[int] = (),
    due_at: datetime | None = None,
) -> Card:
    """Add a card to a column, last unless ``after``/``before`` place it.

    Seven queries without assignees and labels (where the column is, the board lock,
    the column and the role under the lock, the position, the card, the board's seq,
    the event); two more for each of assignees and labels (check, insert).
    """
    title = clean_text(title, field="title", max_length=500)
    description = clean_text(
        description,
        field="description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        multiline=True,
    )
    with transaction.atomic():
        column = row_for_write(
            actor, Column, column_id, Action.WRITE_CARDS, not_found=COLUMN_NOT_FOUND
        )
        board = column.board
        relations = CardRelations(
            assignees=_assignee_ids(board, assignees), labels=_label_ids(board, labels)
        )
        card = Card.objects.create(
            board=board,
            column=column,
            title=title,
            description=description,
            position=position_among(column.cards.all(), after=after, before=before),
            due_at=due_at,
            created_by=stored_user(actor),
        )
        # A new card holds nothing yet: only inserts, and only of what was given.
        _replace(card.assignees, [], relations.assignees)
        _replace(card.labels, [], relations.labels)
        card_prime_relations(card, relations)
        record_event(board=board, event=CARD_CREATED, data=CardSerializer(card).data, actor=actor)
    return card


def card_update(
    *,
    actor: AnyUser,
    card_id: int,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    assignees: Iterable[int] | Unset = UNSET,
    labels: Iterable[int] | Unset = UNSET,
    due_at: datetime | Unset | None = UNSET,
    archived: bool | Unset = UNSET,
    expected_version: int | None = None,
) -> Card:
    """Change a card's fields; only the ones given change, in one version.

    ``archived`` archives the card (the event is ``card.archived``) or restores it.
    Giving only ``archived``, equal to the card's, changes nothing.
    """
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, Action.WRITE_CARDS)
        check_version(card, expected_version)
        fields = (title, description, assignees, labels, due_at)
        archiving = not isinstance(archived, Unset) and archived != card.archived
        if all(isinstance(value, Unset) for value in fields) and not archiving:
            return card
        if not isinstance(title, Unset):
            card.title = clean_text(title, field="title", max_length=500)
        if not isinstance(description, Unset):
            cleaned = clean_text(
                description,
                field="description",
                max_length=DESCRIPTION_MAX_LENGTH,
                required=False,
                multiline=True,
            )
            # People co-editing the description keep their text: a diff, not a replace.
            card.description = doc_merge_text(card.pk, cleaned, author_id=actor.pk)
        if not isinstance(due_at, Unset):
            card.due_at = due_at
        relations = card_relations(card.pk)
        if not isinstance(assignees, Unset):
            wanted = _assignee_ids(card.board, assignees)
            relations.assignees = _replace(card.assignees, relations.assignees, wanted)
        if not isinstance(labels, Unset):
            wanted = _label_ids(card.board, labels)
            relations.labels = _replace(card.labels, relations.labels, wanted)
        card_prime_relations(card, relations)
        if not isinstance(archived, Unset):
            card.archived = archived
        event = CARD_ARCHIVED if archiving and card.archived else CARD_UPDATED
        _save_and_record(card, event=event, actor=actor)
    return card


def card_move(
    *,
    actor: AnyUser,
    card_id: int,
    column_id: int,
    after: int | None = None,
    before: int | None = None,
    expected_version: int | None = None,
) -> Card:
    """Move a card into ``column_id``, right after ``after`` (or before ``before``, or last)."""
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, Action.WRITE_CARDS)
        check_version(card, expected_version)
        column = _column_of(card.board, column_id)
        siblings = Card.objects.filter(column=column).exclude(pk=card.pk)
        card.position = position_among(siblings, after=after, before=before)
        card.column = column
        card_prime_relations(card, card_relations(card.pk))
        _save_and_record(card, event=CARD_MOVED, actor=actor, fields=["column", "position"])
    return card


def card_archive(
    *,
    actor: AnyUser,
    card_id: int,
    archived: bool = True,
    expected_version: int | None = None,
    action: Action = Action.WRITE_CARDS,
) -> Card:
    """Archive a card (hidden from the board, kept in history), or restore it.

    ``action`` is the access the caller acts with: members archive their board's cards;
    ``collab.services.moderation`` passes :attr:`Action.MODERATE`, which the access rule
    grants moderators on every board, and audits the act.
    """
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, action)
        check_version(card, expected_version)
        if card.archived == archived:
            return card
        card_prime_relations(card, card_relations(card.pk))
        card.archived = archived
        event = CARD_ARCHIVED if archived else CARD_UPDATED
        _save_and_record(card, event=event, actor=actor, fields=["archived"])
    return card


def card_delete(*, actor: AnyUser, card_id: int, expected_version: int | None = None) -> None:
    """Delete a card and its comments for good."""
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, Action.WRITE_CARDS)
        check_version(card, expected_version)
        record_event(board=card.board, event=CARD_DELETED, data={"id": card.pk}, actor=actor)
        card.delete()


def card_project_description(*, actor: AnyUser, card_id: int) -> Card | None:
    """Write the text of the card's document into ``Card.description`` (the projection).

    Called once edits settle and when the last editor leaves, on behalf of the last
    editor. Compacts the document; records one ``card.updated`` when the text changed.
    Returns the card, or None when it has no document.
    """
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, Action.WRITE_CARDS)
        row = locked_doc(card_id)
        if row is None:
            return None
        text = str(docs.text_of(compact(row)))
        if text != card.description:
            card.description = text
            card_prime_relations(card, card_relations(card.pk))
            _save_and_record(card, event=CARD_UPDATED, actor=actor, fields=["description"])
    return card


def card_reset_description(*, actor: AnyUser, card_id: int) -> str:
    """Start the card's document afresh (a new generation) from its current text.

    For a document whose history went wrong, or after restoring one from a backup:
    every editor's browser drops its copy and loads the new one; nothing typed and
    stored is lost (the current text is kept). Board admins and moderators. Returns the
    new generation.
    """
    with transaction.atomic():
        card = row_for_write(actor, Card, card_id, Action.MODERATE)
        row = locked_doc(card_id)
        if row is None:
            raise NotFound("This card's description has no collaborative history to reset.")
        text = str(docs.text_of(compact(row)))
        generation = doc_reset(row, text)
        if text != card.description:
            card.description = text
            card_prime_relations(card, card_relations(card.pk))
            _save_and_record(card, event=CARD_UPDATED, actor=actor, fields=["description"])
    return generation
