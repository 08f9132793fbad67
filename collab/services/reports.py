"""Writes to the moderation queue: users' reports."""

from __future__ import annotations

from django.db import transaction

from collab.exceptions import NotFound
from collab.models import Card, Comment, Report, ReportTarget
from collab.permissions import Action, AnyUser, require
from collab.services.guards import stored_user
from collab.validation import clean_text, invalid


def report_create(*, actor: AnyUser, target_type: str, target_id: int, reason: str) -> Report:
    """Report a card or comment the actor can see, for moderators to review."""
    reason = clean_text(reason, field="reason", max_length=2000, multiline=True)
    row: tuple[int, int] | None
    if target_type == ReportTarget.CARD:
        row = (
            Card.objects.filter(pk=target_id).values_list("board_id", "board__workspace_id").first()
        )
    elif target_type == ReportTarget.COMMENT:
        row = (
            Comment.objects.filter(pk=target_id)
            .values_list("card__board_id", "card__board__workspace_id")
            .first()
        )
    else:
        raise invalid("target_type", f"Must be one of: {', '.join(ReportTarget.values)}.")
    if row is None:
        raise NotFound(f"{target_type.capitalize()} not found.")
    board_id, workspace_id = row
    with transaction.atomic():
        require(actor, workspace_id, Action.READ)
        return Report.objects.create(
            reporter=stored_user(actor),
            board_id=board_id,
            target_type=target_type,
            target_id=target_id,
            reason=reason,
        )
