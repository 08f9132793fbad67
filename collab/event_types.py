"""Every board event type, named once, with the shape of its ``data``.

Services record events by these constants (never by a string of their own); the events
API, socket replay and the consumer read them from here; the front end's
``frontend/src/api/types.ts`` ``EventName`` union is held equal to :data:`REGISTRY` by
``tests/collab/test_event_types.py``. ``data`` is the object exactly as the REST API shows
it (``payload`` names its serializer), or ``{"id": ...}`` for deletes and removals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Payload(Enum):
    """The shape of an event's ``data``: a REST representation, or just the id."""

    BOARD = "BoardSerializer"
    COLUMN = "ColumnSerializer"
    LABEL = "LabelSerializer"
    CARD = "CardSerializer"
    COMMENT = "CommentSerializer"
    MEMBER = "MemberSerializer"
    ID = "id"


@dataclass(frozen=True)
class EventType:
    """One kind of board event.

    ``ends_subscription``: after this event a socket stops following the board — always
    (``board.deleted``), or only the socket of the user whose id is ``data["id"]``
    (``member.removed``, see :attr:`ends_for_user_in_data`).
    """

    name: str
    payload: Payload
    ends_subscription: bool = False
    ends_for_user_in_data: bool = False

    def __str__(self) -> str:
        return self.name


BOARD_UPDATED = EventType("board.updated", Payload.BOARD)
BOARD_DELETED = EventType("board.deleted", Payload.ID, ends_subscription=True)
BOARD_LOCKED = EventType("board.locked", Payload.BOARD)
BOARD_UNLOCKED = EventType("board.unlocked", Payload.BOARD)
COLUMN_CREATED = EventType("column.created", Payload.COLUMN)
COLUMN_UPDATED = EventType("column.updated", Payload.COLUMN)
COLUMN_MOVED = EventType("column.moved", Payload.COLUMN)
COLUMN_DELETED = EventType("column.deleted", Payload.ID)
LABEL_CREATED = EventType("label.created", Payload.LABEL)
LABEL_UPDATED = EventType("label.updated", Payload.LABEL)
LABEL_DELETED = EventType("label.deleted", Payload.ID)
CARD_CREATED = EventType("card.created", Payload.CARD)
CARD_UPDATED = EventType("card.updated", Payload.CARD)
CARD_MOVED = EventType("card.moved", Payload.CARD)
CARD_ARCHIVED = EventType("card.archived", Payload.CARD)
CARD_DELETED = EventType("card.deleted", Payload.ID)
COMMENT_CREATED = EventType("comment.created", Payload.COMMENT)
COMMENT_UPDATED = EventType("comment.updated", Payload.COMMENT)
COMMENT_DELETED = EventType("comment.deleted", Payload.ID)
COMMENT_HIDDEN = EventType("comment.hidden", Payload.COMMENT)
# A reaction added or taken back: the comment with its reactions now.
COMMENT_REACTED = EventType("comment.reacted", Payload.COMMENT)
MEMBER_ADDED = EventType("member.added", Payload.MEMBER)
MEMBER_UPDATED = EventType("member.updated", Payload.MEMBER)
MEMBER_REMOVED = EventType(
    "member.removed", Payload.ID, ends_subscription=True, ends_for_user_in_data=True
)

REGISTRY: dict[str, EventType] = {
    event.name: event
    for event in (
        BOARD_UPDATED,
        BOARD_DELETED,
        BOARD_LOCKED,
        BOARD_UNLOCKED,
        COLUMN_CREATED,
        COLUMN_UPDATED,
        COLUMN_MOVED,
        COLUMN_DELETED,
        LABEL_CREATED,
        LABEL_UPDATED,
        LABEL_DELETED,
        CARD_CREATED,
        CARD_UPDATED,
        CARD_MOVED,
        CARD_ARCHIVED,
        CARD_DELETED,
        COMMENT_CREATED,
        COMMENT_UPDATED,
        COMMENT_DELETED,
        COMMENT_HIDDEN,
        COMMENT_REACTED,
        MEMBER_ADDED,
        MEMBER_UPDATED,
        MEMBER_REMOVED,
    )
}

# Events whose stored payload carries a comment's body: redacted from history when the
# comment is hidden or deleted (collab.events.redact_comment_history).
COMMENT_BODY_EVENTS = (COMMENT_CREATED, COMMENT_UPDATED)


def event_type(name: str) -> EventType:
    """Return the registered type named ``name`` (KeyError for an unknown name)."""
    return REGISTRY[name]
