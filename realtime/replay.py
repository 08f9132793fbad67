"""Read a board's missed events from the Event table, as ready-to-send frames."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from collab.events import event_frame
from collab.exceptions import NotFound
from collab.models import Board, Event
from collab.permissions import AnyUser
from collab.selectors import board_get_for_user, card_list, event_page


@dataclass
class Replay:
    """What a subscriber is sent first: the board's seq and the events after ``since``."""

    seq: int
    last_seq: int
    frames: list[str] = field(default_factory=list)
    resync: bool = False


def _frames(events: list[Event]) -> list[str]:
    return [event_frame(event) for event in events]


def check_access(user: AnyUser, board_id: int) -> None:
    """Raise NotFound unless the user may read the board."""
    board_get_for_user(user=user, board_id=board_id)


def replay_since(user: AnyUser, board_id: int, since: int | None) -> Replay:
    """Return the events after ``since``, or ask for a resync when they are gone.

    ``since=None`` replays nothing: the client has just loaded a snapshot. A ``since``
    older than the retained history, too far behind, or ahead of the board (a restored
    database), gets ``resync``.
    """
    if since is None:
        seq = board_get_for_user(user=user, board_id=board_id).seq
        return Replay(seq=seq, last_seq=seq)
    page = event_page(user=user, board_id=board_id, after=since, limit=settings.EVENT_REPLAY_LIMIT)
    if since == page.seq:
        return Replay(seq=page.seq, last_seq=page.seq)
    gone = not page.events or page.events[0].seq != since + 1
    if since > page.seq or page.has_more or gone:
        return Replay(seq=page.seq, last_seq=page.seq, resync=True)
    return Replay(seq=page.seq, last_seq=page.events[-1].seq, frames=_frames(page.events))


@dataclass(frozen=True)
class Missed:
    """One missed event: its seq, type name, ``data["id"]`` and ready-made frame."""

    seq: int
    event: str
    data_id: object
    frame: str


def missed_between(board_id: int, after: int, before: int) -> list[Missed]:
    """Return the events strictly between two seqs, in order, with what delivery needs."""
    events = Event.objects.filter(board_id=board_id, seq__gt=after, seq__lt=before)
    return [
        Missed(
            seq=event.seq,
            event=event.event,
            data_id=event.data.get("id") if isinstance(event.data, dict) else None,
            frame=event_frame(event),
        )
        for event in events.select_related("actor").order_by("seq")
    ]


def events_between(board_id: int, after: int, before: int) -> list[str]:
    """Return the frames of the events strictly between two seqs (a live gap)."""
    return [missed.frame for missed in missed_between(board_id, after, before)]


def board_heads(board_ids: list[int]) -> dict[int, int]:
    """Return the current seq of each existing board, in one query (the catch-up sweep)."""
    return dict(Board.objects.filter(pk__in=board_ids).values_list("pk", "seq"))


def card_on_board(user: AnyUser, board_id: int, card_id: int) -> None:
    """Raise NotFound unless the card is on the board and the user may read it."""
    # The subscription already checked the board; one query, no prefetches.
    if not card_list(user=user).filter(pk=card_id, board_id=board_id).exists():
        raise NotFound("Card not found.")
