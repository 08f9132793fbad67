"""The moderation pages of the admin: the report queue and the audit log.

Every action on the queue resolves (or dismisses) the selected reports through
``collab.services.moderation``, so its effect is live and logged; the log itself is
append-only, for superusers too.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import (
    Case,
    CharField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from collab.admin_actions import ReadOnlyAdmin, ReadOnlyPermissions, reasoned_action
from collab.exceptions import BadRequest
from collab.models import Card, Comment, ModerationAction, Report, ReportStatus, ReportTarget
from collab.permissions import is_moderator
from collab.services.moderation import (
    moderate_board_lock,
    moderate_card_archive,
    moderate_comment,
    moderate_user,
    report_dismiss,
)


def _target_value(comment_field: str, card_field: str, output: Any) -> Case:
    """Return a field of a report's target (comment or card), as one annotation."""
    comments = Comment.objects.filter(pk=OuterRef("target_id")).values(comment_field)[:1]
    cards = Card.objects.filter(pk=OuterRef("target_id")).values(card_field)[:1]
    return Case(
        When(target_type=ReportTarget.COMMENT, then=Subquery(comments)),
        When(target_type=ReportTarget.CARD, then=Subquery(cards)),
        output_field=output,
    )


def _about(report: Report, kind: ReportTarget) -> int:
    """Return the id of the report's target, which must be of ``kind``."""
    if report.target_type != kind:
        raise BadRequest(f"It is about a {report.target_type}, not a {kind.value}.")
    return report.target_id


def _suspend_author(moderator: Any, report: Report, reason: str) -> object:
    author_id = getattr(report, "target_author_id", None)
    if author_id is None:
        raise BadRequest("Its target no longer exists, or has no author.")
    return moderate_user(
        actor=moderator, user_id=author_id, active=False, reason=reason, report_id=report.pk
    )


def _describe_report(report: Report) -> str:
    text = getattr(report, "target_text", None)
    preview = Truncator(" ".join(text.split())).chars(80) if text is not None else "(deleted)"
    author = getattr(report, "target_author", None) or "unknown"
    return f"Report {report.pk} ({report.status}): {report.target_type} by {author}: {preview}"


def _report_action(name: str, description: str, apply: Any, done_message: str) -> Any:
    return reasoned_action(
        name=name,
        description=description,
        apply=apply,
        done_message=done_message,
        permission="resolve",
        describe=_describe_report,
    )


class ModerationActionInline(ReadOnlyPermissions, admin.TabularInline):  # type: ignore[type-arg]
    """What moderators did about a report, read-only (the audit log is append-only)."""

    model = ModerationAction
    fields = ("created_at", "action", "target_repr", "moderator", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModerationAction]:
        return super().get_queryset(request).select_related("moderator")


class ReportAdmin(ReadOnlyAdmin):
    """The moderators' queue: open reports first, newest first, with their targets shown.

    Every action resolves (or dismisses) the selected reports through
    ``collab.services.moderation``, so its effect is live and logged.
    """

    list_display = (
        "id",
        "status",
        "target_type",
        "target_preview",
        "target_author",
        "board",
        "reporter",
        "reason_excerpt",
        "created_at",
        "resolved_by",
    )
    list_display_links = ("id",)
    list_filter = ("status", "target_type", ("board", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("board", "reporter", "resolved_by")
    search_fields = ("reason", "reporter__username", "target_text")
    ordering = (
        Case(
            When(status=ReportStatus.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "-created_at",
        "-id",
    )
    fields = (
        "status",
        "target_type",
        "target_id",
        "target_preview",
        "target_author",
        "board",
        "reporter",
        "reason",
        "created_at",
        "resolved_by",
        "resolved_at",
    )
    readonly_fields = fields
    inlines = (ModerationActionInline,)
    actions = (
        _report_action(
            "hide_reported_comments",
            "Hide the reported comments",
            lambda moderator, report, reason: moderate_comment(
                actor=moderator,
                comment_id=_about(report, ReportTarget.COMMENT),
                hidden=True,
                reason=reason,
                report_id=report.pk,
            ),
            "Hid the comments of {count} report(s).",
        ),
        _report_action(
            "unhide_reported_comments",
            "Unhide the reported comments",
            lambda moderator, report, reason: moderate_comment(
                actor=moderator,
                comment_id=_about(report, ReportTarget.COMMENT),
                hidden=False,
                reason=reason,
                report_id=report.pk,
            ),
            "Unhid the comments of {count} report(s).",
        ),
        _report_action(
            "archive_reported_cards",
            "Archive the reported cards",
            lambda moderator, report, reason: moderate_card_archive(
                actor=moderator,
                card_id=_about(report, ReportTarget.CARD),
                reason=reason,
                report_id=report.pk,
            ),
            "Archived the cards of {count} report(s).",
        ),
        _report_action(
            "lock_reported_boards",
            "Lock the boards of the reports",
            lambda moderator, report, reason: moderate_board_lock(
                actor=moderator,
                board_id=report.board_id,
                locked=True,
                reason=reason,
                report_id=report.pk,
            ),
            "Locked the boards of {count} report(s).",
        ),
        _report_action(
            "unlock_reported_boards",
            "Unlock the boards of the reports",
            lambda moderator, report, reason: moderate_board_lock(
                actor=moderator,
                board_id=report.board_id,
                locked=False,
                reason=reason,
                report_id=report.pk,
            ),
            "Unlocked the boards of {count} report(s).",
        ),
        _report_action(
            "suspend_reported_authors",
            "Suspend the authors of the reported content",
            _suspend_author,
            "Suspended the authors of {count} report(s).",
        ),
        _report_action(
            "dismiss_reports",
            "Dismiss the reports",
            lambda moderator, report, reason: report_dismiss(
                actor=moderator, report_id=report.pk, reason=reason
            ),
            "Dismissed {count} report(s).",
        ),
    )

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        """Let moderators who may change reports act on them (the Moderators group)."""
        return is_moderator(request.user) and request.user.has_perm("collab.change_report")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                target_text=_target_value("body", "title", TextField()),
                target_author_id=_target_value("author_id", "created_by_id", IntegerField()),
                target_author=_target_value(
                    "author__username", "created_by__username", CharField()
                ),
            )
        )

    @admin.display(description="target", ordering="target_text")
    def target_preview(self, report: Report) -> str:
        text = getattr(report, "target_text", None)
        if text is None:
            return "(deleted)"
        url = reverse(f"admin:collab_{report.target_type}_change", args=[report.target_id])
        return format_html('<a href="{}">{}</a>', url, Truncator(" ".join(text.split())).chars(80))

    @admin.display(description="author", ordering="target_author")
    def target_author(self, report: Report) -> str:
        return getattr(report, "target_author", None) or "—"

    @admin.display(description="reason")
    def reason_excerpt(self, report: Report) -> str:
        return Truncator(report.reason).chars(80)


class ModerationActionAdmin(ReadOnlyAdmin):
    """The moderation audit log: shown to moderators, editable and deletable by no one."""

    list_display = (
        "created_at",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "moderator",
        "report",
    )
    list_filter = ("action", "target_type")
    list_select_related = ("moderator", "report")
    search_fields = ("target_repr", "reason", "moderator__username")
    raw_id_fields = ("moderator", "report")
    date_hierarchy = "created_at"
    actions = None
