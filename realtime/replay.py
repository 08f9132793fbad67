"""Read a board's missed events from the Event table, as ready-to-send frames."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from collab.events import event_frame
from collab.models import Event
from collab.permissions import AnyUser
from collab.selectors import board_get_for_user, event_list


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
    with transaction.atomic():
        seq = board_get_for_user(user=user, board_id=board_id).seq
        if since is None or since == seq:
            return Replay(seq=seq, last_seq=seq)
        if since > seq:
            return Replay(seq=seq, last_seq=seq, resync=True)
        limit = settings.EVENT_REPLAY_LIMIT
        events = list(event_list(board_id=board_id, after=since, limit=limit + 1))
    if len(events) > limit or not events or events[0].seq != since + 1:
        return Replay(seq=seq, last_seq=seq, resync=True)
    last = events[-1].seq
    return Replay(seq=max(seq, last), last_seq=last, frames=_frames(events))


def events_between(board_id: int, after: int, before: int) -> list[str]:
    """Return the frames of the events strictly between two seqs (a live gap)."""
    events = Event.objects.filter(board_id=board_id, seq__gt=after, seq__lt=before)
    return _frames(list(events.select_related("actor").order_by("seq")))
