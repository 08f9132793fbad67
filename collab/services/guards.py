"""Shared first steps of a write: take the locks in the one order, check the actor.

**The lock order.** Every service takes its row locks in this one order, so that two
services never wait on each other (a deadlock answered as a 500):

1. the workspace row (:func:`workspace_for_write`), by the services that change a
   workspace, its memberships, or its set of boards. Memberships are guarded by this
   lock: they are read and written under it, never locked themselves;
2. board rows (:func:`board_for_write`, :func:`row_for_write`, :func:`boards_for_write`),
   several of them in ascending id order, in one query;
3. the rows of those boards (cards, columns, labels, comments) and rows hanging off
   them (reports), read again under the board lock.

A locking query that joins other tables names the table it locks
(``select_for_update(of=("self",))``). Domain services never lock a user row: events,
cards, comments and reports point at users, and inserting them takes a share lock on
the user row. The access check runs before any lock, so that outsiders lock nothing
of another workspace, and again under the lock, which sees a role change that
committed while the service waited.

**The queries.** A write to a board row costs three before its own work: one that
finds where the addressed row lives with the actor's role there (the check before the
lock), the board lock, and one that reads the row again with the role (the check
under the lock: in its own statement, which starts after the wait, so that it sees
what committed meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, OuterRef, QuerySet

from accounts.models import User
from collab.deliveries import with_webhook_flag
from collab.events import lock_board
from collab.exceptions import Conflict, NotAuthenticated, NotFound, PreconditionFailed
from collab.models import Board, Card, Column, Label, Role, Workspace
from collab.permissions import (
    Action,
    AnyUser,
    as_role,
    is_moderator,
    require,
    require_board_write,
    require_role,
    role_of,
)
from collab.positions import key_between
from collab.validation import invalid

MAX_KEY_LENGTH = 255
WORKSPACE_NOT_FOUND = "Workspace not found."
BOARD_NOT_FOUND = "Board not found."


def workspace_for_write(
    actor: AnyUser, workspace_id: int, action: Action
) -> tuple[Workspace, Role]:
    """Lock the workspace row and return it with the actor's role, if they may ``action``.

    First of the locks (see the module docstring). Call inside ``transaction.atomic()``.
    """
    require(actor, workspace_id, action, not_found=WORKSPACE_NOT_FOUND)
    workspace = Workspace.objects.select_for_update().filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound(WORKSPACE_NOT_FOUND)
    # Again under the lock: a concurrent leave, removal or demotion has committed now.
    return workspace, require(actor, workspace_id, action, not_found=WORKSPACE_NOT_FOUND)


def boards_for_write(workspace_id: int) -> list[Board]:
    """Lock every board of the workspace, in id order, in one query, and return them.

    Call under :func:`workspace_for_write`'s lock, which keeps boards from being added.
    A board deleted while this call waited is left out.
    """
    boards = Board.objects.select_for_update().filter(workspace_id=workspace_id)
    return list(with_webhook_flag(boards).order_by("pk"))


@dataclass(frozen=True)
class Place:
    """Where an addressed row lives, and the actor's role there, read before any lock."""

    board_id: int
    workspace_id: int
    role: Role | None


def _locate(actor: AnyUser, rows: QuerySet[Any], board: str, not_found: str) -> Place:
    """Return the board, workspace and actor's role of the addressed row, in one query.

    ``board`` is the path from the row to its board id (``"pk"`` for a board,
    ``"board_id"``, ``"card__board_id"``).
    """
    workspace = "workspace_id" if board == "pk" else board.removesuffix("_id") + "__workspace_id"
    found = (
        rows.order_by()
        .annotate(actor_role=role_of(actor, OuterRef(workspace)))
        .values_list(board, workspace, "actor_role")
        .first()
    )
    if found is None:
        raise NotFound(not_found)
    board_id, workspace_id, role = found
    return Place(board_id, workspace_id, as_role(role))


def _lock(actor: AnyUser, place: Place, action: Action, not_found: str) -> Board:
    """Check the role read before the lock (outsiders lock nothing), then lock the board."""
    if not (action is Action.MODERATE and is_moderator(actor)):
        require_role(place.role, action, not_found=not_found)
    try:
        return lock_board(place.board_id)
    except NotFound:
        raise NotFound(not_found) from None


def board_for_write(
    actor: AnyUser, board_id: int, action: Action, *, not_found: str = BOARD_NOT_FOUND
) -> Board:
    """Lock the board and return it if ``actor`` may perform ``action`` on it.

    ``not_found`` is the message of the object the caller addressed, the same for a
    missing id and for one the actor may not see. :attr:`Action.MODERATE` passes
    instance moderators on every board, locked or not. Call inside
    ``transaction.atomic()``; the lock orders every write to the board. Three queries:
    the board's workspace with the actor's role, the lock, the role again.
    """
    place = _locate(actor, Board.objects.filter(pk=board_id), "pk", not_found)
    board = _lock(actor, place, action, not_found)
    # Again under the lock, in a statement of its own: a role change that committed
    # while this call waited is visible only to a statement that starts after the wait.
    require_board_write(actor, board, action, not_found=not_found)
    return board


def stored_user(actor: AnyUser) -> User:
    """Return the actor as the stored user that rows point to (``created_by``, ``author``).

    Call after the permission check, which already refuses anonymous callers.
    """
    if not isinstance(actor, User):
        raise NotAuthenticated()
    return actor


Row = TypeVar("Row", bound=Model)
BoardRow = TypeVar("BoardRow", Card, Column, Label)


def rows_for_write(
    actor: AnyUser, rows: QuerySet[Row], action: Action, *, board: str, not_found: str
) -> tuple[Row, Board]:
    """Lock the board of the one row of ``rows`` and return the row, read under the lock.

    ``board`` is the path from the row to its board id (``"board_id"``,
    ``"card__board_id"``). Three queries: where the row lives with the actor's role,
    the board lock, then the row again with the role. Reading the row again after the
    lock catches a concurrent delete that committed while this call waited, and its
    role is read in that statement, which starts after the wait (see
    :func:`board_for_write`). Call inside ``transaction.atomic()``.
    """
    place = _locate(actor, rows, board, not_found)
    locked = _lock(actor, place, action, not_found)
    row = (
        rows.filter(**{board: place.board_id})
        .annotate(actor_role=role_of(actor, place.workspace_id))
        .first()
    )
    if row is None:
        raise NotFound(not_found)
    role = as_role(row.__dict__.pop("actor_role"))
    require_board_write(actor, locked, action, not_found=not_found, role=role)
    return row, locked


def row_for_write(
    actor: AnyUser, model: type[BoardRow], pk: int, action: Action, *, not_found: str = ""
) -> BoardRow:
    """Lock the board of a card, column or label and return the row, read under the lock.

    The row's ``board`` is the locked board. ``not_found`` defaults to ``"Card not
    found."`` (the model's name). See :func:`rows_for_write`.
    """
    message = not_found or f"{model.__name__} not found."
    rows = model._default_manager.filter(pk=pk)
    row, board = rows_for_write(actor, rows, action, board="board_id", not_found=message)
    row.board = board
    return row


def check_version(obj: Model, expected: int | None) -> None:
    """Raise PreconditionFailed when the caller's ``If-Match`` version is stale."""
    if expected is not None and expected != obj.version:  # type: ignore[attr-defined]
        raise PreconditionFailed(
            f"Version {expected} is stale; the current version is {obj.version}.",  # type: ignore[attr-defined]
            detail={"version": [str(obj.version)]},  # type: ignore[attr-defined]
        )


def position_among(
    siblings: QuerySet[Model], *, after: int | None = None, before: int | None = None
) -> str:
    """Return an order key right after ``after``, else right before ``before``, else last.

    ``siblings`` are the items of the target list, without the one being placed. Call
    under the board lock, so that no concurrent write takes the same key.
    """
    key = _key_among(siblings, after=after, before=before)
    # Keys grow by about a character every five inserts at the very same spot; past the
    # column's width, refuse with a clear error rather than a database one.
    if len(key) > MAX_KEY_LENGTH:
        raise Conflict(
            "This spot has been reordered too many times; place the item elsewhere.",
            detail={"position": ["Order key too long."]},
        )
    return key


def _key_among(siblings: QuerySet[Model], *, after: int | None, before: int | None) -> str:
    keys = siblings.order_by("position").values_list("position", flat=True)
    if after is not None:
        anchor = siblings.filter(pk=after).values_list("position", flat=True).first()
        if anchor is None:
            raise invalid("after", "Not an item of the target list.")
        return key_between(anchor, keys.filter(position__gt=anchor).first())
    if before is not None:
        anchor = siblings.filter(pk=before).values_list("position", flat=True).first()
        if anchor is None:
            raise invalid("before", "Not an item of the target list.")
        previous = siblings.filter(position__lt=anchor).order_by("-position")
        return key_between(previous.values_list("position", flat=True).first(), anchor)
    return key_between(keys.last(), None)


class Unset:
    """The type of :data:`UNSET`: an argument the caller did not give (unlike ``None``)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()
