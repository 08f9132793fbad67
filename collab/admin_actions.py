"""How the admin writes: never through its forms, only through actions that ask why.

:class:`ReadOnlyAdmin` pages and :class:`ReadOnlyPermissions` inlines show rows but
never write them: every change must go through ``collab.services`` so that it is
checked, recorded as an event and broadcast live. The admin's only writes are
moderation actions built by :func:`reasoned_action`, which follow Django's own "delete
selected" pattern: the first POST from the change list answers with a confirmation page
listing the selected objects and a reason field; that page posts back to the change
list with ``apply`` set, and only then is the service called, once per object. A domain
error on one object is shown as a message and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from collab.exceptions import CorkboardError
from collab.permissions import is_moderator
from collab.services.moderation import MAX_REASON
from collab.validation import clean_text

Apply = Callable[[Any, Any, str], object]
"""Moderate one object: called with the moderator, the object and the reason."""

ModelAdmin = admin.ModelAdmin  # type: ignore[type-arg]


class ReadOnlyPermissions:
    """Show rows but never write them (writes belong to services): for admins and inlines."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):  # type: ignore[type-arg]
    """A model admin that shows rows but never writes them."""


class ReasonForm(forms.Form):
    """The reason a moderator gives; it is stored in the audit log."""

    reason = forms.CharField(
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="Recorded in the moderation log with your name and the time.",
    )

    def clean_reason(self) -> str:
        try:
            return clean_text(
                self.cleaned_data["reason"], field="reason", max_length=MAX_REASON, multiline=True
            )
        except CorkboardError as error:
            raise forms.ValidationError(error.message) from error


class ModerationPermissions:
    """The ``moderate`` permission that reasoned actions ask the model admin for."""

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request.user)


def _apply_each(
    model_admin: ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Model],
    apply: Apply,
    reason: str,
    done_message: str,
) -> None:
    done = 0
    for obj in objects:
        try:
            apply(request.user, obj, reason)
        except CorkboardError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message.format(count=done), messages.SUCCESS)


def reasoned_action(
    *,
    name: str,
    description: str,
    apply: Apply,
    done_message: str,
    permission: str = "moderate",
    describe: Callable[[Any], str] = str,
) -> Callable[[ModelAdmin, HttpRequest, QuerySet[Any]], TemplateResponse | None]:
    """Return an admin action that asks for a reason, then calls ``apply`` per object.

    ``done_message`` is formatted with ``count``; ``describe`` shows each selected
    object on the confirmation page; ``permission`` names the model admin's
    ``has_<permission>_permission`` method that decides who sees the action.
    """

    def action(
        model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
    ) -> TemplateResponse | None:
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _apply_each(model_admin, request, queryset, apply, reason, done_message)
            return None  # back to the change list, where the messages show
        selected = list(queryset)
        opts = model_admin.model._meta
        context = {
            **model_admin.admin_site.each_context(request),
            "title": description,
            "opts": opts,
            "objects": [describe(obj) for obj in selected],
            "pks": [obj.pk for obj in selected],
            "form": form,
            "action": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": model_admin.media,
        }
        request.current_app = model_admin.admin_site.name
        return TemplateResponse(request, "admin/moderation_confirmation.html", context)

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


Toggle = Callable[[Any, Any, str, bool], object]
"""Set one object's state: called with the moderator, the object, the reason and the flag."""


def toggle_actions(
    noun: str,
    verbs: tuple[str, str],
    past: tuple[str, str],
    *,
    apply: Toggle,
    flags: tuple[bool, bool] = (True, False),
) -> tuple[Callable[[ModelAdmin, HttpRequest, QuerySet[Any]], TemplateResponse | None], ...]:
    """Return the two reasoned actions that set and clear one flag (lock and unlock).

    ``noun`` is singular (``"board"``); ``verbs`` name the two actions (``("lock",
    "unlock")``), ``past`` their done messages (``("Locked", "Unlocked")``), and ``flags``
    the value each passes to ``apply``.
    """

    def setting(flag: bool) -> Apply:
        return lambda moderator, obj, reason: apply(moderator, obj, reason, flag)

    return tuple(
        reasoned_action(
            name=f"{verb}_{noun}s",
            description=f"{verb.capitalize()} selected {noun}s",
            apply=setting(flag),
            done_message=f"{done} {{count}} {noun}(s).",
        )
        for verb, done, flag in zip(verbs, past, flags, strict=True)
    )
