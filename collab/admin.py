"""The Django admin for the collaboration domain: browse and search every model.

Every change to a workspace, board, column, card, comment or membership must go through
``collab.services`` so that it is checked, recorded as an event and broadcast live. A
plain admin form would write rows past all of that, so these pages are read-only: staff
with view permission (superusers) can list, filter, search and open every object, but
not add, change or delete one here. Moderation actions, which call the services, extend
these classes (one ``ModelAdmin`` per model).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Event,
    Label,
    Membership,
    ModerationAction,
    Report,
    Workspace,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A model admin that shows rows but never writes them (writes belong to services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    """The members of a workspace, read-only (roles change through ``member_*`` services)."""

    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "workspace")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(Board)
class BoardAdmin(ReadOnlyAdmin):
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
class CardAdmin(ReadOnlyAdmin):
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


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("excerpt", "id", "card", "author", "hidden", "created_at", "edited_at")
    list_filter = ("hidden",)
    list_select_related = ("card", "author")
    search_fields = ("body", "author__username", "card__title")
    raw_id_fields = ("card", "author")

    @admin.display(description="comment")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The board history (outbox): append-only, so never editable by anyone."""

    list_display = ("event", "board", "seq", "actor", "ts")
    list_filter = ("event",)
    list_select_related = ("board", "actor")
    search_fields = ("event", "board__title", "actor__username")
    raw_id_fields = ("board", "actor")
    ordering = ("-id",)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "target_type",
        "target_id",
        "board",
        "reporter",
        "status",
        "created_at",
        "resolved_by",
    )
    list_filter = ("status", "target_type")
    list_select_related = ("board", "reporter", "resolved_by")
    search_fields = ("reason", "reporter__username", "board__title")
    raw_id_fields = ("board", "reporter", "resolved_by")


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The moderation audit log: shown to staff, editable and deletable by no one."""

    list_display = ("created_at", "action", "target_type", "target_id", "target_repr", "moderator")
    list_filter = ("action", "target_type")
    list_select_related = ("moderator", "report")
    search_fields = ("target_repr", "reason", "moderator__username")
    raw_id_fields = ("moderator", "report")
