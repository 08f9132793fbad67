"""Writes to the moderation queue: users' reports."""

from __future__ import annotations

from django.db import transaction

from collab.exceptions import NotFound
from collab.models import Card, Comment, Report, ReportTarget
from collab.permissions import Action, AnyUser, require
from collab.validation import clean_text, invalid


def report_create(*, actor: AnyUser, target_type: str, target_id: int, reason: str) -> Report:
    """Report a card or comment the actor can see, for moderators to review."""
    reason = clean_text(reason, field="reason", max_length=2000, multiline=True)
    if target_type == ReportTarget.CARD:
        row = Card.objects.filter(pk=target_id).values("board_id", "board__workspace_id").first()
    elif target_type == ReportTarget.COMMENT:
        row = (
            Comment.objects.filter(pk=target_id)
            .values("card__board_id", "card__board__workspace_id")
            .first()
        )
        if row is not None:
            row = {"board_id": row["card__board_id"], "board__workspace_id": row["card__board__workspace_id"]}
    else:
        raise invalid("target_type", f"Must be one of: {', '.join(ReportTarget.values)}.")
    if row is None:
        raise NotFound(f"{target_type.capitalize()} not found.")
    with transaction.atomic():
        require(actor, row["board__workspace_id"], Action.READ)
        return Report.objects.create(
            reporter=actor,
            board_id=row["board_id"],
            target_type=target_type,
            target_id=target_id,
            reason=reason,
        )
