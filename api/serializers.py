"""Input shapes of the API: JSON types only, unknown fields refused.

Domain rules (lengths, blank text, control characters, valid roles and scopes) are the
services' and come back as ``ValidationFailed``; these serializers only make sure
each field has the JSON type the service expects, so a service is never handed a
number where it wants text. Output shapes live in ``collab/representations.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from collab.models import REACTIONS
from collab.representations import (
    BoardSerializer,
    CardSerializer,
    ColumnSerializer,
    EventSerializer,
    LabelSerializer,
    MemberSerializer,
    TokenSerializer,
    WebhookSerializer,
)

# Ids are PostgreSQL bigints; a larger number can name nothing.
MAX_ID = 2**63 - 1


class StrictCharField(serializers.CharField):
    """A JSON string, passed on untrimmed (the service trims and checks it)."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class IdField(serializers.IntegerField):
    """A JSON integer naming a row: no strings, booleans or fractions."""

    default_error_messages = {"invalid": "Must be an integer id."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` (not ``"yes"`` or ``1``)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class QueryIdField(serializers.IntegerField):
    """An id in the query string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class InputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A request body: a JSON object with only the declared fields."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class PatchSerializer(InputSerializer):
    """A partial update: every field optional, but at least one given."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


# auth and accounts


class SignupInput(InputSerializer):
    username = StrictCharField()
    email = StrictCharField(required=False)
    password = StrictCharField()


class MeUpdateInput(InputSerializer):
    email_digests = StrictBooleanField(help_text="false: no digest emails of unread notifications.")


class LoginInput(InputSerializer):
    username = StrictCharField()
    password = StrictCharField()


class CsrfTokenOutput(serializers.Serializer):  # type: ignore[type-arg]
    csrf_token = serializers.CharField()


class WsTicketOutput(serializers.Serializer):  # type: ignore[type-arg]
    ticket = serializers.CharField(help_text="Use once, as /ws/?ticket=<ticket>.")
    expires_in = serializers.IntegerField(help_text="Seconds until the ticket expires.")


class TokenCreateInput(InputSerializer):
    name = StrictCharField()
    scopes = serializers.ListField(child=StrictCharField(), help_text='Any of "read" and "write".')
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class TokenCreatedOutput(TokenSerializer):
    """A new token with its plaintext, shown this once and never again."""

    token = serializers.CharField(read_only=True, help_text="The secret; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = ["token", *TokenSerializer.Meta.fields]
        read_only_fields = fields


# workspaces and members


class WorkspaceInput(InputSerializer):
    name = StrictCharField()


class MemberAddInput(InputSerializer):
    username = StrictCharField()
    role = StrictCharField(help_text="owner, admin, member or viewer.")


class MemberUpdateInput(InputSerializer):
    role = StrictCharField(help_text="owner, admin, member or viewer.")


# boards and labels


class BoardCreateInput(InputSerializer):
    workspace = IdField()
    title = StrictCharField()
    description = StrictCharField(required=False)


class BoardUpdateInput(PatchSerializer):
    title = StrictCharField(required=False)
    description = StrictCharField(required=False)


class BoardFilter(serializers.Serializer):  # type: ignore[type-arg]
    workspace = QueryIdField(help_text="Only the boards of this workspace.")


class LabelCreateInput(InputSerializer):
    board = IdField()
    name = StrictCharField()
    color = StrictCharField(required=False, help_text="#rrggbb")


class LabelUpdateInput(PatchSerializer):
    name = StrictCharField(required=False)
    color = StrictCharField(required=False, help_text="#rrggbb")


class BoardChildFilter(serializers.Serializer):  # type: ignore[type-arg]
    board = QueryIdField(help_text="Only the items of this board.")


# columns and cards


class ColumnCreateInput(InputSerializer):
    board = IdField()
    title = StrictCharField()
    after = IdField(required=False, allow_null=True, help_text="Place right after this column.")
    before = IdField(required=False, allow_null=True, help_text="Place right before this column.")


class ColumnUpdateInput(InputSerializer):
    title = StrictCharField()


class ColumnMoveInput(InputSerializer):
    after = IdField(required=False, allow_null=True, help_text="Place right after this column.")
    before = IdField(required=False, allow_null=True, help_text="Place right before this column.")


class CardCreateInput(InputSerializer):
    column = IdField()
    title = StrictCharField()
    description = StrictCharField(required=False)
    after = IdField(required=False, allow_null=True, help_text="Place right after this card.")
    before = IdField(required=False, allow_null=True, help_text="Place right before this card.")
    assignees = serializers.ListField(child=IdField(), required=False, help_text="User ids.")
    labels = serializers.ListField(child=IdField(), required=False, help_text="Label ids.")
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class CardUpdateInput(PatchSerializer):
    title = StrictCharField(required=False)
    description = StrictCharField(
        required=False,
        help_text="The whole new text. While people co-edit the description "
        "(/ws/cards/{id}/doc/), it is applied to their document as a minimal diff: "
        "they keep their cursors, and what they type after it is kept.",
    )
    assignees = serializers.ListField(child=IdField(), required=False, help_text="User ids.")
    labels = serializers.ListField(child=IdField(), required=False, help_text="Label ids.")
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    archived = StrictBooleanField(required=False)


class CardMoveInput(InputSerializer):
    column = IdField(help_text="The target column (of the same board).")
    after = IdField(required=False, allow_null=True, help_text="Place right after this card.")
    before = IdField(required=False, allow_null=True, help_text="Place right before this card.")


class CardFilter(serializers.Serializer):  # type: ignore[type-arg]
    board = QueryIdField(help_text="Only the cards of this board.")
    column = QueryIdField(help_text="Only the cards of this column.")
    archived = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true or false; both if absent."
    )


# comments and reports


class CommentCreateInput(InputSerializer):
    card = IdField()
    body = StrictCharField()


class CommentUpdateInput(InputSerializer):
    body = StrictCharField()


class ReactionInput(InputSerializer):
    reaction = StrictCharField(help_text=f"One of: {', '.join(REACTIONS)}.")
    active = StrictBooleanField(
        required=False,
        help_text="true adds the reaction, false takes it back; left out, it is toggled.",
    )


class ModerationInput(InputSerializer):
    reason = StrictCharField(help_text="Why; kept in the moderation log.")


class CommentFilter(serializers.Serializer):  # type: ignore[type-arg]
    card = QueryIdField(help_text="Only the comments of this card.")


class ReportCreateInput(InputSerializer):
    target_type = StrictCharField(help_text="comment or card.")
    target_id = IdField()
    reason = StrictCharField()


# events


class EventQuery(serializers.Serializer):  # type: ignore[type-arg]
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_ID,
        help_text="Events with seq > after.",
    )
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=1000, help_text="At most 1000."
    )


class EventPageOutput(serializers.Serializer):  # type: ignore[type-arg]
    results = EventSerializer(many=True)
    seq = serializers.IntegerField(help_text="The board's latest seq.")
    has_more = serializers.BooleanField(help_text="More events follow the last one returned.")


class SnapshotOutput(serializers.Serializer):  # type: ignore[type-arg]
    seq = serializers.IntegerField(help_text="Apply events with a higher seq on top.")
    board = BoardSerializer()
    columns = ColumnSerializer(many=True)
    cards = CardSerializer(many=True)
    labels = LabelSerializer(many=True)
    members = MemberSerializer(many=True)


# webhooks


class WebhookCreateInput(InputSerializer):
    url = StrictCharField(help_text="http(s) URL of the receiver; private addresses refused.")
    event_types = serializers.ListField(
        child=StrictCharField(), help_text='Event names (see the event registry), or ["*"].'
    )
    description = StrictCharField(required=False, allow_blank=True)
    active = StrictBooleanField(required=False)


class WebhookUpdateInput(PatchSerializer):
    url = StrictCharField(required=False)
    event_types = serializers.ListField(child=StrictCharField(), required=False)
    description = StrictCharField(required=False, allow_blank=True)
    active = StrictBooleanField(required=False, help_text="true turns a disabled webhook on.")


class WebhookCreatedOutput(WebhookSerializer):
    """A webhook with its signing secret, shown this once and never again."""

    secret = serializers.CharField(read_only=True, help_text="whsec_…; store it now.")

    class Meta(WebhookSerializer.Meta):
        fields = ["secret", *WebhookSerializer.Meta.fields]
        read_only_fields = fields


class RedeliverSinceInput(InputSerializer):
    board = IdField(help_text="A board of the webhook's workspace.")
    since = IdField(min_value=0, help_text="Every wanted event with seq > since.")


class RedeliverSinceOutput(serializers.Serializer):  # type: ignore[type-arg]
    queued = serializers.IntegerField(help_text="Deliveries queued.")


class DeliveryQuery(serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.ChoiceField(
        choices=["pending", "delivered", "failed"], required=False, help_text="Only these."
    )
    board = QueryIdField(required=False, help_text="Only this board's.")


# notifications and watching


class NotificationQuery(serializers.Serializer):  # type: ignore[type-arg]
    unread = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only unread; false: only read.",
    )


class ReadAllOutput(serializers.Serializer):  # type: ignore[type-arg]
    marked = serializers.IntegerField(help_text="How many were unread.")


class WatchOutput(serializers.Serializer):  # type: ignore[type-arg]
    watching = serializers.BooleanField()
