"""A fingerprint of every stored row an attack or a bad request could change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Event,
    Label,
    Membership,
    Notification,
    Report,
    Watch,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)

# Fields that change on any authenticated request, not by what the request asked for.
_VOLATILE = {"last_used_at", "last_login"}


def _rows(model: Any) -> list[tuple[Any, ...]]:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in _VOLATILE]
    return sorted(model.objects.order_by("pk").values_list(*fields))


def db_state() -> dict[str, list[Any]]:
    """Return every row of the domain, the users and the tokens, with card relations."""
    state: dict[str, list[Any]] = {
        model.__name__: _rows(model)
        for model in (
            get_user_model(),
            ApiToken,
            Workspace,
            Membership,
            Board,
            Column,
            Label,
            Card,
            Comment,
            Event,
            Report,
            WebhookEndpoint,
            WebhookDelivery,
            Notification,
            Watch,
        )
    }
    state["CardAssignees"] = sorted(
        Card.assignees.through.objects.values_list("card_id", "user_id")
    )
    state["CardLabels"] = sorted(Card.labels.through.objects.values_list("card_id", "label_id"))
    return state
