"""Writes to boards."""

from __future__ import annotations

from django.db import transaction

from collab.event_types import BOARD_DELETED, BOARD_LOCKED, BOARD_UNLOCKED, BOARD_UPDATED
from collab.events import record_event
from collab.models import Board
from collab.permissions import Action, AnyUser
from collab.representations import BoardSerializer
from collab.services.guards import (
    board_for_write,
    check_version,
    stored_user,
    workspace_for_write,
)
from collab.services.versioning import save_versioned
from collab.validation import clean_text

DESCRIPTION_MAX_LENGTH = 10_000


def board_create(*, actor: AnyUser, workspace_id: int, title: str, description: str = "") -> Board:
    """Create a board in a workspace (admins and owners)."""
    title = clean_text(title, field="title", max_length=200)
    description = clean_text(
        description,
        field="description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        multiline=True,
    )
    with transaction.atomic():
        # The workspace lock keeps the set of boards still while members change, and
        # makes a concurrent workspace delete answer 404 rather than a broken reference.
        workspace_for_write(actor, workspace_id, Action.MANAGE_BOARD)
        return Board.objects.create(
            workspace_id=workspace_id,
            title=title,
            description=description,
            created_by=stored_user(actor),
        )


def board_update(
    *,
    actor: AnyUser,
    board_id: int,
    title: str | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> Board:
    """Change a board's title or description."""
    if title is not None:
        title = clean_text(title, field="title", max_length=200)
    if description is not None:
        description = clean_text(
            description,
            field="description",
            max_length=DESCRIPTION_MAX_LENGTH,
            required=False,
            multiline=True,
        )
    with transaction.atomic():
        board = board_for_write(actor, board_id, Action.MANAGE_BOARD)
        check_version(board, expected_version)
        if title is not None:
            board.title = title
        if description is not None:
            board.description = description
        save_versioned(board, fields=["title", "description"])
        record_event(
            board=board,
            event=BOARD_UPDATED,
            data=lambda: BoardSerializer(board).data,
            actor=actor,
        )
    return board


def board_delete(*, actor: AnyUser, board_id: int, expected_version: int | None = None) -> None:
    """Delete a board with its columns, cards and history; subscribers are told."""
    with transaction.atomic():
        board = board_for_write(actor, board_id, Action.MANAGE_BOARD)
        check_version(board, expected_version)
        record_event(board=board, event=BOARD_DELETED, data={"id": board.pk}, actor=actor)
        board.delete()


def board_set_locked(
    *, actor: AnyUser, board_id: int, locked: bool, action: Action = Action.MANAGE_BOARD
) -> Board:
    """Lock (read-only for all but admins) or unlock a board.

    ``action`` is the access the caller acts with: the board's admins manage their board;
    ``collab.services.moderation`` passes :attr:`Action.MODERATE`, which the access rule
    grants moderators on every board, and audits the act.
    """
    with transaction.atomic():
        board = board_for_write(actor, board_id, action)
        if board.locked == locked:
            return board
        board.locked = locked
        save_versioned(board, fields=["locked"])
        record_event(
            board=board,
            event=BOARD_LOCKED if locked else BOARD_UNLOCKED,
            data=lambda: BoardSerializer(board).data,
            actor=actor,
        )
    return board
