"""Shared first steps of a board write: lock the board, check the actor, check versions."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from accounts.models import User
from collab.events import lock_board
from collab.exceptions import Conflict, NotAuthenticated, NotFound, PreconditionFailed
from collab.models import Board, Card, Column, Label
from collab.permissions import Action, AnyUser, is_moderator, require_board_write
from collab.positions import key_between
from collab.validation import invalid

MAX_KEY_LENGTH = 255


def board_for_write(
    actor: AnyUser, board_id: int, action: Action, *, moderation: bool = False
) -> Board:
    """Lock the board and return it if ``actor`` may perform ``action`` on it.

    With ``moderation=True`` a moderator passes whatever their membership and the lock:
    moderators act on every board of the instance. Call inside ``transaction.atomic()``;
    the lock orders every write to the board.
    """
    board = lock_board(board_id)
    if moderation and is_moderator(actor):
        return board
    require_board_write(actor, board, action)
    return board


def stored_user(actor: AnyUser) -> User:
    """Return the actor as the stored user that rows point to (``created_by``, ``author``).

    Call after the permission check, which already refuses anonymous callers.
    """
    if not isinstance(actor, User):
        raise NotAuthenticated()
    return actor


BoardRow = TypeVar("BoardRow", Card, Column, Label)


def row_for_write(
    actor: AnyUser, model: type[BoardRow], pk: int, action: Action, *, moderation: bool = False
) -> BoardRow:
    """Lock the board of a card, column or label and return the row, read under the lock.

    Reading the row again after the lock catches a concurrent delete that committed
    while this call waited. Call inside ``transaction.atomic()``.
    """
    not_found = NotFound(f"{model.__name__} not found.")
    board_id = model._default_manager.filter(pk=pk).values_list("board_id", flat=True).first()
    if board_id is None:
        raise not_found
    board = board_for_write(actor, board_id, action, moderation=moderation)
    row = model._default_manager.filter(pk=pk, board_id=board_id).first()
    if row is None:
        raise not_found
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
