"""The Django admin for the collaboration domain: browse and search every model.

Every change to a workspace, board, column, card, comment or membership must go through
``collab.services`` so that it is checked, recorded as an event and broadcast live. A
plain admin form would write rows past all of that, so these pages are read-only: staff
with view permission (superusers) can list, filter, search and open every object, but
not add, change or delete one here. Moderation happens through admin actions that call
``collab.services.moderation`` (see ``collab.admin_actions``): each asks for a reason,
takes effect live, and is recorded in the audit log, which no one can edit or delete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from accounts.models import ApiToken, User
from collab.admin_accounts import ApiTokenAdmin, CorkboardUserAdmin
from collab.admin_actions import (
    ModerationPermissions,
    ReadOnlyAdmin,
    ReadOnlyPermissions,
    reasoned_action,
    toggle_actions,
)
from collab.admin_docs import CardDocAdmin  # noqa: F401 (registers the pages)
from collab.admin_moderation import ModerationActionAdmin, ReportAdmin
from collab.admin_webhooks import WebhookEndpointAdmin  # noqa: F401 (registers the pages)
from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Event,
    Label,
    Membership,
    ModerationAction,
    Reaction,
    Report,
    Workspace,
)
from collab.services.moderation import (
    moderate_board_lock,
    moderate_card_archive,
    moderate_comment,
)


class MembershipInline(ReadOnlyPermissions, admin.TabularInline):  # type: ignore[type-arg]
    """The members of a workspace, read-only (roles change through ``member_*`` services)."""

    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "workspace")


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdmin):
    list_display = ("name", "id", "created_by", "member_count", "board_count", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name", "created_by__username")
    date_hierarchy = "created_at"
    raw_id_fields = ("created_by",)
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("memberships", distinct=True),
                board_count=Count("boards", distinct=True),
            )
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Workspace) -> int:
        return obj.member_count  # type: ignore[attr-defined, no-any-return]

    @admin.display(description="boards", ordering="board_count")
    def board_count(self, obj: Workspace) -> int:
        return obj.board_count  # type: ignore[attr-defined, no-any-return]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "workspace")
    search_fields = ("user__username", "user__email", "workspace__name")
    raw_id_fields = ("user", "workspace")


def _lock(moderator: Any, board: Board, reason: str, locked: bool) -> object:
    return moderate_board_lock(actor=moderator, board_id=board.pk, locked=locked, reason=reason)


def _hide(moderator: Any, comment: Comment, reason: str, hidden: bool) -> object:
    return moderate_comment(actor=moderator, comment_id=comment.pk, hidden=hidden, reason=reason)


@admin.register(Board)
class BoardAdmin(ModerationPermissions, ReadOnlyAdmin):
    list_display = (
        "title",
        "id",
        "workspace",
        "seq",
        "locked",
        "version",
        "created_by",
        "updated_at",
    )
    list_filter = ("locked",)
    list_select_related = ("workspace", "created_by")
    search_fields = ("title", "description", "workspace__name")
    raw_id_fields = ("workspace", "created_by")
    actions = toggle_actions("board", ("lock", "unlock"), ("Locked", "Unlocked"), apply=_lock)


@admin.register(Column)
class ColumnAdmin(ReadOnlyAdmin):
    list_display = ("title", "id", "board", "position", "version")
    list_select_related = ("board",)
    search_fields = ("title", "board__title")
    raw_id_fields = ("board",)


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ("name", "color", "board")
    list_select_related = ("board",)
    search_fields = ("name", "board__title")
    raw_id_fields = ("board",)


@admin.register(Card)
class CardAdmin(ModerationPermissions, ReadOnlyAdmin):
    list_display = (
        "title",
        "id",
        "board",
        "column",
        "archived",
        "due_at",
        "version",
        "created_by",
        "updated_at",
    )
    list_filter = ("archived",)
    list_select_related = ("board", "column", "created_by")
    search_fields = ("title", "description", "board__title")
    raw_id_fields = ("board", "column", "created_by", "assignees", "labels")
    actions = (
        reasoned_action(
            name="archive_cards",
            description="Archive selected cards",
            apply=lambda moderator, card, reason: moderate_card_archive(
                actor=moderator, card_id=card.pk, reason=reason
            ),
            done_message="Archived {count} card(s).",
        ),
    )


@admin.register(Comment)
class CommentAdmin(ModerationPermissions, ReadOnlyAdmin):
    list_display = ("excerpt", "id", "card", "author", "hidden", "created_at", "edited_at")
    list_filter = ("hidden",)
    list_select_related = ("card", "author")
    search_fields = ("body", "author__username", "card__title")
    raw_id_fields = ("card", "author")
    actions = toggle_actions("comment", ("hide", "unhide"), ("Hid", "Unhid"), apply=_hide)

    @admin.display(description="comment")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyAdmin):
    list_display = ("reaction", "comment", "user", "created_at")
    list_filter = ("reaction",)
    list_select_related = ("comment", "user")
    search_fields = ("user__username",)
    raw_id_fields = ("comment", "user")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The board history (outbox): append-only, so never editable by anyone."""

    list_display = ("event", "board", "seq", "actor", "time")
    list_filter = ("event",)
    list_select_related = ("board", "actor")
    search_fields = ("event", "board__title", "actor__username")
    raw_id_fields = ("board", "actor")
    ordering = ("-id",)

    @admin.display(description="time", ordering="ts")
    def time(self, obj: Event) -> datetime:
        return obj.ts


admin.site.register(User, CorkboardUserAdmin)
admin.site.register(ApiToken, ApiTokenAdmin)
admin.site.register(Report, ReportAdmin)
admin.site.register(ModerationAction, ModerationActionAdmin)

# The admin's own titles (Django's defaults say "Django administration").
admin.site.site_header = "Corkboard administration"
admin.site.site_title = "Corkboard admin"
admin.site.index_title = "Moderation and operations"
