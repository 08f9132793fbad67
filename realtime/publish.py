"""Send committed domain events and account changes to the channel layer."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime.groups import board_group, user_group

logger = logging.getLogger(__name__)


def _group_send(group: str, message: dict[str, object]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The pipe is best effort: the Event row is committed, and clients recover
        # missed events by seq (replay, gap fill). Never fail the caller's write.
        logger.exception("publishing to %s failed", group)


def publish_board_event(board_id: int, seq: int, event: str, frame: str) -> None:
    """Broadcast an event's ready-made JSON frame to the board's subscribers."""
    message = {"type": "board.event", "board": board_id, "seq": seq, "event": event, "frame": frame}
    _group_send(board_group(board_id), message)


def disconnect_user(user_id: int) -> None:
    """Close every socket the user has open, in every process."""
    _group_send(user_group(user_id), {"type": "user.disconnect"})
