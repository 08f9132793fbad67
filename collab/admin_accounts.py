"""The Django admin for accounts: users (with suspension) and their personal access tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from collab.admin_actions import (
    ModerationPermissions,
    ReadOnlyAdmin,
    toggle_actions,
)
from collab.services.moderation import moderate_user


def _suspend(moderator: Any, user: User, reason: str, suspended: bool) -> object:
    return moderate_user(actor=moderator, user_id=user.pk, active=not suspended, reason=reason)


class CorkboardUserAdmin(ModerationPermissions, UserAdmin):  # type: ignore[type-arg]
    """Django's user admin, with suspension kept out of the form.

    ``is_active`` is read-only here: suspending must also end sessions and close the
    user's open sockets, which only the moderation actions below do (through the
    ``moderate_user`` service, which also records them in the audit log). Moderators
    only view users: changing one, or their password, needs ``change_user``.
    """

    list_display = (
        "username",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "email", "first_name", "last_name")
    readonly_fields = ("is_active", "last_login", "date_joined")
    actions = toggle_actions(
        "user", ("suspend", "reactivate"), ("Suspended", "Reactivated"), apply=_suspend
    )


# What the token pages show, list and detail alike (never the digest).
_FIELDS = tuple("name prefix user scopes created_at expires_at last_used_at revoked_at".split())


class TokenStateFilter(admin.SimpleListFilter):
    """Filter tokens by whether they still authenticate."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("usable", "Usable"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "usable":
            unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            return queryset.filter(unexpired, revoked_at=None)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now, revoked_at=None)
        if self.value() == "revoked":
            return queryset.exclude(revoked_at=None)
        return queryset


class ApiTokenAdmin(ReadOnlyAdmin):
    """Personal access tokens, read-only: the digest is never shown.

    A token's plaintext exists only once, in the response that created it, so tokens
    are created (and revoked) by their owner through the API, not here.
    """

    list_display = _FIELDS
    list_filter = (TokenStateFilter,)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    fields = _FIELDS
    readonly_fields = fields
    raw_id_fields = ("user",)
