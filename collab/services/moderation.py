"""Moderation acts: each calls the domain service and records it in the audit log.

Every moderation act, from any entry point (the admin, REST), goes through here. Each
function runs the ordinary service with :attr:`~collab.permissions.Action.MODERATE`, so
the access rule decides who may (instance moderators on every board; for comments, a
board's own admins too), the effect reaches every open browser as the usual event, one
:class:`~collab.models.ModerationAction` row records it with the reason, and the report
it answers is resolved, all in one transaction: the log never shows an action that did
not happen, nor misses one that did. The board is locked (by the service) before the
report row, in the order ``collab.services.guards`` documents.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from collab.exceptions import Conflict, Forbidden, NotFound
from collab.models import (
    Board,
    Card,
    Comment,
    ModerationAction,
    ModerationKind,
    Report,
    ReportStatus,
    ReportTarget,
)
from collab.permissions import Action, AnyUser, is_moderator
from collab.services.boards import board_set_locked
from collab.services.cards import card_archive
from collab.services.comments import comment_set_hidden
from collab.services.guards import stored_user
from collab.services.users import user_set_active
from collab.validation import clean_text, invalid

MAX_REASON = 2000


def _require_moderator(actor: AnyUser) -> User:
    if not is_moderator(actor):
        raise Forbidden("Only moderators can do this.")
    return stored_user(actor)


def _require_user(actor: AnyUser) -> User:
    """Return the actor if signed in and active; the access rule decides the rest."""
    if not isinstance(actor, User) or not actor.is_active:
        raise Forbidden("Only moderators and board admins can do this.")
    return actor


def _clean_reason(reason: str) -> str:
    return clean_text(reason, field="reason", max_length=MAX_REASON, multiline=True).strip()


def _report_for_update(report_id: int) -> Report:
    """Return the report, locked until the end of the transaction."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("Report not found.")
    return report


def _report_about(report_id: int | None, *, target_type: str, target_id: int) -> Report | None:
    """Return the report being answered, locked, after checking it is about this target."""
    if report_id is None:
        return None
    report = _report_for_update(report_id)
    if report.target_type != target_type or report.target_id != target_id:
        raise invalid("report_id", f"This report is not about this {target_type}.")
    return report


def _author_of(report: Report) -> int | None:
    """Return the id of the user who wrote the report's target, if it still exists."""
    if report.target_type == ReportTarget.COMMENT:
        comments = Comment.objects.filter(pk=report.target_id)
        return comments.values_list("author_id", flat=True).first()
    cards = Card.objects.filter(pk=report.target_id)
    return cards.values_list("created_by_id", flat=True).first()


def _resolve(
    report: Report | None, moderator: User, status: ReportStatus = ReportStatus.RESOLVED
) -> None:
    """Close an open report with ``status``; a closed one keeps its outcome."""
    if report is None or report.status != ReportStatus.OPEN:
        return
    report.status = status
    report.resolved_by = moderator
    report.resolved_at = timezone.now()
    report.save(update_fields=["status", "resolved_by", "resolved_at"])


def _record(
    *,
    moderator: User,
    action: ModerationKind,
    target_type: str,
    target_id: int,
    target_repr: str,
    reason: str,
    report: Report | None,
) -> ModerationAction:
    _resolve(report, moderator)
    return ModerationAction.objects.create(
        moderator=moderator,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=Truncator(target_repr).chars(200),
        reason=reason,
        report=report,
    )


def moderate_comment(
    *, actor: AnyUser, comment_id: int, hidden: bool, reason: str, report_id: int | None = None
) -> Comment:
    """Hide a comment from everyone (or show it again), live, and log it.

    Instance moderators may on every board, board admins on their own boards.
    ``report_id``, if given, must be a report of this comment; it is resolved.
    """
    moderator = _require_user(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        comment = comment_set_hidden(actor=moderator, comment_id=comment_id, hidden=hidden)
        report = _report_about(report_id, target_type=ReportTarget.COMMENT, target_id=comment_id)
        excerpt = Truncator(" ".join(comment.body.split())).chars(80)
        _record(
            moderator=moderator,
            action=ModerationKind.COMMENT_HIDE if hidden else ModerationKind.COMMENT_UNHIDE,
            target_type=ReportTarget.COMMENT,
            target_id=comment.pk,
            target_repr=f"Comment {comment.pk} by {comment.author.username}: {excerpt}",
            reason=reason,
            report=report,
        )
    return comment


def moderate_card_archive(
    *, actor: AnyUser, card_id: int, reason: str, report_id: int | None = None
) -> Card:
    """Archive a card on any board, live, and log it.

    ``report_id``, if given, must be a report of this card; it is resolved.
    """
    moderator = _require_moderator(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        card = card_archive(actor=moderator, card_id=card_id, action=Action.MODERATE)
        report = _report_about(report_id, target_type=ReportTarget.CARD, target_id=card_id)
        _record(
            moderator=moderator,
            action=ModerationKind.CARD_ARCHIVE,
            target_type=ReportTarget.CARD,
            target_id=card.pk,
            target_repr=f"Card {card.pk}: {card.title}",
            reason=reason,
            report=report,
        )
    return card


def moderate_board_lock(
    *, actor: AnyUser, board_id: int, locked: bool, reason: str, report_id: int | None = None
) -> Board:
    """Lock a board (read-only for all but its admins) or unlock it, live, and log it.

    ``report_id``, if given, must be a report of something on this board; it is resolved.
    """
    moderator = _require_moderator(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        board = board_set_locked(
            actor=moderator, board_id=board_id, locked=locked, action=Action.MODERATE
        )
        report = _report_for_update(report_id) if report_id is not None else None
        if report is not None and report.board_id != board_id:
            raise invalid("report_id", "This report is not about this board.")
        _record(
            moderator=moderator,
            action=ModerationKind.BOARD_LOCK if locked else ModerationKind.BOARD_UNLOCK,
            target_type="board",
            target_id=board.pk,
            target_repr=f"Board {board.pk}: {board.title}",
            reason=reason,
            report=report,
        )
    return board


def moderate_user(
    *, actor: AnyUser, user_id: int, active: bool, reason: str, report_id: int | None = None
) -> User:
    """Suspend (``active=False``) or reactivate a user everywhere at once, and log it.

    Staff accounts (other moderators, superusers) can only be suspended or reactivated
    by a superuser, so that moderators cannot lock each other out. ``report_id``, if
    given, must be a report of something this user wrote; it is resolved.
    """
    moderator = _require_moderator(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        report = _report_for_update(report_id) if report_id is not None else None
        if report is not None and _author_of(report) != user_id:
            raise invalid("report_id", "This report is not about something this user wrote.")
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise NotFound("User not found.")
        if user.pk == moderator.pk:
            raise Forbidden("You cannot suspend or reactivate yourself.")
        if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            raise Forbidden("Only a superuser can suspend or reactivate staff.")
        user_set_active(actor=moderator, user_id=user.pk, active=active)
        _record(
            moderator=moderator,
            action=ModerationKind.USER_REACTIVATE if active else ModerationKind.USER_SUSPEND,
            target_type="user",
            target_id=user.pk,
            target_repr=f"User {user.pk}: {user.username}",
            reason=reason,
            report=report,
        )
    user.refresh_from_db()
    return user


def report_dismiss(*, actor: AnyUser, report_id: int, reason: str) -> Report:
    """Close an open report without acting on its target, and log why."""
    moderator = _require_moderator(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        report = _report_for_update(report_id)
        if report.status != ReportStatus.OPEN:
            raise Conflict(f"Report {report.pk} is already {report.status}.")
        _resolve(report, moderator, ReportStatus.DISMISSED)
        _record(
            moderator=moderator,
            action=ModerationKind.REPORT_DISMISS,
            target_type="report",
            target_id=report.pk,
            target_repr=f"Report {report.pk} of {report.target_type} {report.target_id}",
            reason=reason,
            report=report,
        )
    return report
