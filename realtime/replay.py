"""Read a board's missed events from the Event table, as ready-to-send frames."""

from __future__ import annotations

from dataclasses import dataclass

from collab.events import event_frame
from collab.exceptions import NotFound
from collab.models import Board, Event
from collab.permissions import AnyUser
from collab.replay import Replay, check_access, replay_since
from collab.selectors import card_list

__all__ = ["Missed", "Replay", "check_access", "replay_since"]


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
