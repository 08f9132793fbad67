"""Writes to columns."""

from __future__ import annotations

from django.db import transaction

from collab.event_types import COLUMN_CREATED, COLUMN_DELETED, COLUMN_MOVED, COLUMN_UPDATED
from collab.events import record_event
from collab.models import Column
from collab.permissions import Action, AnyUser
from collab.representations import ColumnSerializer
from collab.services.guards import board_for_write, check_version, position_among, row_for_write
from collab.services.versioning import save_versioned
from collab.validation import clean_text


def column_create(
    *,
    actor: AnyUser,
    board_id: int,
    title: str,
    after: int | None = None,
    before: int | None = None,
) -> Column:
    """Add a column to a board, last unless ``after``/``before`` place it."""
    title = clean_text(title, field="title", max_length=200)
    with transaction.atomic():
        board = board_for_write(actor, board_id, Action.MANAGE_BOARD)
        position = position_among(board.columns.all(), after=after, before=before)
        column = Column.objects.create(board=board, title=title, position=position)
        record_event(
            board=board,
            event=COLUMN_CREATED,
            data=ColumnSerializer(column).data,
            actor=actor,
        )
    return column


def column_update(
    *, actor: AnyUser, column_id: int, title: str, expected_version: int | None = None
) -> Column:
    """Rename a column."""
    title = clean_text(title, field="title", max_length=200)
    with transaction.atomic():
        column = row_for_write(actor, Column, column_id, Action.MANAGE_BOARD)
        check_version(column, expected_version)
        column.title = title
        save_versioned(column, fields=["title"])
        record_event(
            board=column.board,
            event=COLUMN_UPDATED,
            data=ColumnSerializer(column).data,
            actor=actor,
        )
    return column


def column_move(
    *,
    actor: AnyUser,
    column_id: int,
    after: int | None = None,
    before: int | None = None,
    expected_version: int | None = None,
) -> Column:
    """Move a column right after ``after`` (or right before ``before``, or last)."""
    with transaction.atomic():
        column = row_for_write(actor, Column, column_id, Action.MANAGE_BOARD)
        check_version(column, expected_version)
        siblings = Column.objects.filter(board_id=column.board_id).exclude(pk=column.pk)
        column.position = position_among(siblings, after=after, before=before)
        save_versioned(column, fields=["position"])
        record_event(
            board=column.board,
            event=COLUMN_MOVED,
            data=ColumnSerializer(column).data,
            actor=actor,
        )
    return column


def column_delete(*, actor: AnyUser, column_id: int, expected_version: int | None = None) -> None:
    """Delete a column and its cards."""
    with transaction.atomic():
        column = row_for_write(actor, Column, column_id, Action.MANAGE_BOARD)
        check_version(column, expected_version)
        record_event(
            board=column.board,
            event=COLUMN_DELETED,
            data={"id": column.pk},
            actor=actor,
        )
        column.delete()
