"""The one versioned save: every change to a row with a ``version`` goes through it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from collab.models import Board, Card, Column

Versioned = Board | Card | Column


def save_versioned(row: Versioned, fields: Iterable[str] | None = None) -> None:
    """Bump the row's version (and ``updated_at`` where it has one) and save it.

    ``fields`` limits the UPDATE to those columns plus the version (and ``updated_at``);
    ``None`` saves every column. Clients see the new version in the ``ETag`` and in the
    event payload, so every change a client could observe must come through here. Call
    under the board lock, before recording the event that shows the row.
    """
    row.version += 1
    stamped = ["version"]
    if hasattr(row, "updated_at"):
        row.updated_at = timezone.now()
        stamped.append("updated_at")
    row.save(update_fields=None if fields is None else [*fields, *stamped])
