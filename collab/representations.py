"""The wire shape of each resource: one serializer each, for REST responses and events.

A socket event's ``data`` is built by the same serializer as the ``GET`` of that
object, so the two are byte for byte the same. Input validation lives in
``api/serializers.py``; these classes only represent.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken
from collab.markdown import render_markdown
from collab.models import (
    REACTIONS,
    Board,
    Card,
    Column,
    Comment,
    Event,
    Label,
    Membership,
    Notification,
    Reaction,
    Report,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)

User = get_user_model()

HIDDEN_BODY = ""


class UserBriefSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined", "is_staff", "email_digests"]
        read_only_fields = fields


class WorkspaceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A workspace with the caller's ``role`` (annotated by the selector)."""

    role = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Workspace
        fields = ["id", "name", "role", "created_at"]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


class BoardSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Board
        fields = [
            "id",
            "workspace",
            "title",
            "description",
            "seq",
            "locked",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ColumnSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Column
        fields = ["id", "board", "title", "position", "version"]
        read_only_fields = fields


class LabelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Label
        fields = ["id", "board", "name", "color"]
        read_only_fields = fields


class SortedIdsField(serializers.ManyRelatedField):
    """The ids of a to-many relation in ascending order.

    Neither the database's row order nor a label's (renameable) name may change how
    a card looks: an event's payload must equal every later ``GET`` of the same version.
    """

    def __init__(self, **kwargs: Any) -> None:
        child: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
            read_only=True
        )
        super().__init__(child_relation=child, read_only=True, **kwargs)

    def to_representation(self, iterable: Any) -> list[Any]:
        return sorted(super().to_representation(iterable))


class CardSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A card; ``assignees`` and ``labels`` are sorted ids (prefetch them for lists).

    ``description_html`` is the Markdown description rendered and sanitised on the
    server, so every client displays the same safe HTML.
    """

    assignees = SortedIdsField()
    labels = SortedIdsField()
    description_html = serializers.SerializerMethodField(
        help_text="The description rendered from Markdown to sanitised HTML."
    )

    class Meta:
        model = Card
        fields = [
            "id",
            "board",
            "column",
            "title",
            "description",
            "description_html",
            "position",
            "assignees",
            "labels",
            "due_at",
            "archived",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_description_html(self, card: Card) -> str:
        return render_markdown(card.description)


class ReactionGroupSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One kind of reaction on a comment: how many, and who (oldest first)."""

    reaction = serializers.ChoiceField(choices=list(REACTIONS))
    emoji = serializers.CharField()
    count = serializers.IntegerField(min_value=1)
    users = UserBriefSerializer(many=True)


class CommentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A comment; a hidden comment's body is withheld (only the Django admin shows it)."""

    author = UserBriefSerializer(read_only=True)
    body = serializers.SerializerMethodField()
    reactions = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "card", "author", "body", "hidden", "created_at", "edited_at", "reactions"]
        read_only_fields = fields

    def get_body(self, comment: Comment) -> str:
        return HIDDEN_BODY if comment.hidden else comment.body

    @extend_schema_field(ReactionGroupSerializer(many=True))
    def get_reactions(self, comment: Comment) -> list[dict[str, Any]]:
        """The reactions by kind, in :data:`REACTIONS` order, each with who reacted."""
        cache = getattr(comment, "_prefetched_objects_cache", {})
        rows = (
            cache["reactions"] if "reactions" in cache else comment.reactions.select_related("user")
        )
        groups: dict[str, list[Reaction]] = {}
        for row in sorted(rows, key=lambda row: row.pk):
            groups.setdefault(row.reaction, []).append(row)
        return [
            {
                "reaction": name,
                "emoji": emoji,
                "count": len(groups[name]),
                "users": [
                    {"id": row.user.pk, "username": row.user.username} for row in groups[name]
                ],
            }
            for name, emoji in REACTIONS.items()
            if name in groups
        ]


class EventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = Event
        fields = ["board", "seq", "event", "data", "actor", "ts"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Report
        fields = ["id", "board", "target_type", "target_id", "reason", "status", "created_at"]
        read_only_fields = fields


class TokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked",
        ]
        read_only_fields = fields

    def get_revoked(self, token: ApiToken) -> bool:
        return token.revoked_at is not None


class WebhookSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An endpoint, without its secret (shown once, when created or rotated)."""

    secret_rotated = serializers.SerializerMethodField(
        help_text="Whether a previous secret still signs deliveries (the rotation window)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "workspace",
            "url",
            "description",
            "event_types",
            "active",
            "disabled_reason",
            "failures_in_a_row",
            "secret_rotated",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_secret_rotated(self, endpoint: WebhookEndpoint) -> bool:
        from django.utils import timezone

        expires = endpoint.previous_secret_expires_at
        return bool(endpoint.previous_secret) and expires is not None and expires > timezone.now()


class WebhookAttemptSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WebhookAttempt
        fields = [
            "started_at",
            "duration_ms",
            "status_code",
            "response_excerpt",
            "error",
            "succeeded",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One event for one endpoint, with every attempt; ``message_id`` is ``webhook-id``."""

    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)
    board = serializers.IntegerField(source="board_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "board",
            "seq",
            "event_name",
            "message_id",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "attempt_log",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """Something that happened that concerns the user, with why (``reason``)."""

    actor = UserBriefSerializer(read_only=True, allow_null=True)
    event = serializers.CharField(source="event_name", read_only=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "board",
            "card",
            "comment",
            "event",
            "seq",
            "reason",
            "actor",
            "card_title",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


def represent(serializer_class: type[serializers.Serializer], instance: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    """Return ``instance`` as plain JSON-ready data in its wire shape."""
    return dict(serializer_class(instance).data)
