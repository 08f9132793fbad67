"""Maintenance of the board history: pruning events past the retention window."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F

from collab.models import Event


def event_prune(*, older_than: datetime) -> int:
    """Delete events recorded before ``older_than``; return how many were deleted.

    Each board's latest event (``seq == Board.seq``) is always kept, so a board's
    history never becomes empty and a reconnecting client can still tell how far the
    retained history reaches. Events past the window are what ``since`` replay answers
    with ``resync``.
    """
    with transaction.atomic():
        deleted, _ = Event.objects.filter(ts__lt=older_than).exclude(seq=F("board__seq")).delete()
    return deleted
