"""Writes to the moderation queue: users' reports."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from collab.exceptions import NotFound
from collab.models import Card, Comment, Report, ReportTarget
from collab.permissions import Action, AnyUser
from collab.services.guards import board_for_write, stored_user
from collab.validation import clean_text, invalid


def report_create(*, actor: AnyUser, target_type: str, target_id: int, reason: str) -> Report:
    """Report a card or comment the actor can see, for moderators to review."""
    reason = clean_text(reason, field="reason", max_length=2000, multiline=True)
    rows: QuerySet[Any]
    if target_type == ReportTarget.CARD:
        rows = Card.objects.filter(pk=target_id).values_list("board_id", flat=True)
    elif target_type == ReportTarget.COMMENT:
        rows = Comment.objects.filter(pk=target_id).values_list("card__board_id", flat=True)
    else:
        raise invalid("target_type", f"Must be one of: {', '.join(ReportTarget.values)}.")
    # One message for a missing target and for one the actor may not see.
    not_found = f"{target_type.capitalize()} not found."
    board_id = rows.first()
    if board_id is None:
        raise NotFound(not_found)
    with transaction.atomic():
        # The board lock orders the report after a concurrent delete of its board or
        # target (the report points at the board), as every board row is.
        board = board_for_write(actor, board_id, Action.READ, not_found=not_found)
        if not rows.exists():
            raise NotFound(not_found)
        return Report.objects.create(
            reporter=stored_user(actor),
            board=board,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
        )
