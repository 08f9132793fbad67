"""The admin's webhook pages: endpoints managed through the services, the delivery log.

Adding or changing an endpoint calls ``collab.services.webhooks`` (the form checks the
URL and the event types with the same functions first, so that a refused URL shows on
the form); the new secret is shown once, as a message. Deliveries are read-only, with
a redeliver action. Notifications and watches are shown read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from collab.admin_actions import ReadOnlyAdmin, ReadOnlyPermissions
from collab.deliveries import ALL_EVENTS
from collab.event_types import REGISTRY
from collab.exceptions import CorkboardError
from collab.models import Notification, Watch, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from collab.services.webhooks import (
    clean_event_types,
    clean_url,
    delivery_redeliver,
    webhook_create,
    webhook_redeliver_since,
    webhook_rotate_secret,
    webhook_update,
)

EVENT_CHOICES = [(ALL_EVENTS, "every event"), *((name, name) for name in sorted(REGISTRY))]


class RedeliverSinceForm(forms.Form):
    board = forms.IntegerField(min_value=1, help_text="The board's id.")
    since = forms.IntegerField(min_value=0, help_text="Events with a greater seq are sent.")


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    event_types = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["workspace", "url", "description", "event_types", "active"]

    def _checked(self, field: str, clean: Any) -> Any:
        try:
            return clean(self.cleaned_data.get(field))
        except CorkboardError as error:
            raise forms.ValidationError(error.message) from error

    def clean_url(self) -> str:
        return str(self._checked("url", clean_url))

    def clean_event_types(self) -> list[str]:
        return list(self._checked("event_types", clean_event_types))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookForm
    list_display = ("url", "workspace", "active", "failures_in_a_row", "updated_at")
    list_filter = ("active",)
    list_select_related = ("workspace",)
    search_fields = ("url", "workspace__name")
    raw_id_fields = ("workspace",)
    readonly_fields = ("disabled_reason", "failures_in_a_row", "previous_secret_expires_at")
    actions = ["rotate_secret", "turn_on", "turn_off", "redeliver_since"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "workspace") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in ("url", "event_types", "description", "active")}
            webhook_update(actor=request.user, endpoint_id=obj.pk, **fields)
            return
        endpoint, secret = webhook_create(
            actor=request.user,
            workspace_id=data["workspace"].pk,
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            active=data["active"],
        )
        obj.pk = endpoint.pk
        self.message_user(request, f"Signing secret (shown this once): {secret}", messages.WARNING)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # No relations; the service saved everything.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description="Rotate the signing secret (the old one signs for the grace period)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            _, secret = webhook_rotate_secret(actor=request.user, endpoint_id=endpoint.pk)
            self.message_user(
                request, f"{endpoint.url}: new secret (shown this once): {secret}", messages.WARNING
            )

    @admin.action(description="Redeliver a board's events since a seq")
    def redeliver_since(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> TemplateResponse | None:
        form = RedeliverSinceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for endpoint in queryset:
                try:
                    queued = webhook_redeliver_since(
                        actor=request.user,
                        endpoint_id=endpoint.pk,
                        board_id=form.cleaned_data["board"],
                        since=form.cleaned_data["since"],
                    )
                except CorkboardError as error:
                    self.message_user(request, f"{endpoint}: {error.message}", messages.ERROR)
                else:
                    self.message_user(request, f"{endpoint}: {queued} queued.", messages.SUCCESS)
            return None
        selected = list(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": "Redeliver since a seq",
            "opts": self.model._meta,
            "objects": [str(endpoint) for endpoint in selected],
            "pks": [endpoint.pk for endpoint in selected],
            "form": form,
            "action": "redeliver_since",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/webhook_redeliver_since.html", context)

    @admin.action(description="Turn on (resumes the queued deliveries)")
    def turn_on(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_update(actor=request.user, endpoint_id=endpoint.pk, active=True)
        self.message_user(request, f"Turned on {queryset.count()} webhooks.", messages.SUCCESS)

    @admin.action(description="Turn off")
    def turn_off(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_update(actor=request.user, endpoint_id=endpoint.pk, active=False)
        self.message_user(request, f"Turned off {queryset.count()} webhooks.", messages.SUCCESS)


class AttemptInline(ReadOnlyPermissions, admin.TabularInline):  # type: ignore[type-arg]
    model = WebhookAttempt
    fields = ("started_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: every event sent to every endpoint, with each attempt."""

    list_display = ("event_name", "seq", "board_id", "endpoint", "state", "attempts", "created_at")
    list_filter = ("state", "event_name")
    list_select_related = ("endpoint",)
    search_fields = ("message_id", "endpoint__url")
    raw_id_fields = ("endpoint", "event")
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver (same webhook-id, a fresh retry schedule)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset.order_by("seq"):
            delivery_redeliver(actor=request.user, delivery_id=delivery.pk)
        self.message_user(request, f"Queued {queryset.count()} deliveries again.", messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ("delivery", "started_at", "status_code", "duration_ms", "succeeded")
    list_filter = ("succeeded",)
    list_select_related = ("delivery",)
    raw_id_fields = ("delivery",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "reason", "event_name", "card_title", "created_at", "read_at")
    list_filter = ("reason", "event_name")
    list_select_related = ("user",)
    search_fields = ("user__username", "card_title")
    fields = (
        "user",
        "reason",
        "event_name",
        "seq",
        "board",
        "card",
        "card_title",
        "actor",
        "created_at",
        "read_at",
        "emailed_at",
    )


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    list_display = ("user", "card", "board", "watching", "assigned")
    list_filter = ("watching", "assigned")
    list_select_related = ("user", "card", "board")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "board", "card")
