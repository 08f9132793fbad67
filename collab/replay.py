"""What a reconnecting subscriber is sent first: the board's events after its ``since``.

Shared by the socket, the event stream and its WSGI twin (``api``), so that each gives
the same replay guarantee and the same resync.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from collab.events import event_frame
from collab.models import Event
from collab.permissions import AnyUser
from collab.selectors import board_get_for_user, board_seq_for_user, event_page


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
        seq = board_seq_for_user(user=user, board_id=board_id)
        return Replay(seq=seq, last_seq=seq)
    page = event_page(user=user, board_id=board_id, after=since, limit=settings.EVENT_REPLAY_LIMIT)
    if since == page.seq:
        return Replay(seq=page.seq, last_seq=page.seq)
    gone = not page.events or page.events[0].seq != since + 1
    if since > page.seq or page.has_more or gone:
        return Replay(seq=page.seq, last_seq=page.seq, resync=True)
    return Replay(seq=page.seq, last_seq=page.events[-1].seq, frames=_frames(page.events))
