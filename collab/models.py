"""The collaboration domain: workspaces, boards, columns, cards, comments and their events.

Models hold data and constraints only; every write goes through ``collab.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone


class OrderKeyField(models.CharField):  # type: ignore[type-arg]
    """A fractional order key, compared byte by byte on every database.

    PostgreSQL's default collation would sort ``"a"`` before ``"B"``; the keys are
    base-62 strings whose order is ASCII order, so the column uses the "C" collation
    there (SQLite compares bytes already).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class Board(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="boards")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # The last event's sequence number; incremented under this row's lock.
    seq = models.PositiveBigIntegerField(default=0)
    locked = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["workspace", "title"])]

    def __str__(self) -> str:
        return self.title


class Column(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="columns")
    title = models.CharField(max_length=200)
    position = OrderKeyField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["board_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["board", "position"], name="column_unique_position")
        ]

    def __str__(self) -> str:
        return self.title


class Label(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#888888")

    class Meta:
        ordering = ["board_id", "name"]
        constraints = [models.UniqueConstraint(fields=["board", "name"], name="label_unique_name")]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="cards")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    position = OrderKeyField()
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_cards"
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="cards")
    due_at = models.DateTimeField(null=True, blank=True)
    archived = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["column_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["column", "position"], name="card_unique_position")
        ]
        indexes = [models.Index(fields=["board", "archived"])]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField()
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["card_id", "created_at", "id"]
        indexes = [models.Index(fields=["card", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} on card {self.card_id}"


# The reactions a comment can get (GitHub's set), by name, in the order they are shown.
REACTIONS: dict[str, str] = {
    "+1": "\U0001f44d",
    "-1": "\U0001f44e",
    "laugh": "\U0001f604",
    "hooray": "\U0001f389",
    "confused": "\U0001f615",
    "heart": "\u2764\ufe0f",
    "rocket": "\U0001f680",
    "eyes": "\U0001f440",
}


class Reaction(models.Model):
    """One user's reaction to a comment: at most one of each kind per user."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reaction = models.CharField(max_length=16, choices=[(name, name) for name in REACTIONS])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["comment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user", "reaction"], name="one_reaction_per_user_and_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reaction} by {self.user_id} on comment {self.comment_id}"


class Event(models.Model):
    """One change to a board: the outbox for live delivery and the board's history."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    event = models.CharField(max_length=40)
    data = models.JSONField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ts = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "board event"
        ordering = ["board_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["board", "seq"], name="event_unique_seq")]
        indexes = [models.Index(fields=["ts"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.seq} on board {self.board_id}"


class ReportTarget(models.TextChoices):
    COMMENT = "comment", "Comment"
    CARD = "card", "Card"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class Report(models.Model):
    """A user's report of a comment or card, queued for moderators."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reports"
    )
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="reports")
    target_type = models.CharField(max_length=10, choices=ReportTarget.choices)
    target_id = models.PositiveBigIntegerField()
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        permissions = [("moderate", "Can moderate content on every board")]

    def __str__(self) -> str:
        return f"Report {self.pk}: {self.target_type} {self.target_id} ({self.status})"


class ModerationKind(models.TextChoices):
    COMMENT_HIDE = "comment.hide", "Hide comment"
    COMMENT_UNHIDE = "comment.unhide", "Unhide comment"
    CARD_ARCHIVE = "card.archive", "Archive card"
    BOARD_LOCK = "board.lock", "Lock board"
    BOARD_UNLOCK = "board.unlock", "Unlock board"
    USER_SUSPEND = "user.suspend", "Suspend user"
    USER_REACTIVATE = "user.reactivate", "Reactivate user"
    REPORT_DISMISS = "report.dismiss", "Dismiss report"


class ModerationAction(models.Model):
    """The audit log: who did what to which object, why, and when. Append-only."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=ModerationKind.choices)
    target_type = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField()
    target_repr = models.CharField(max_length=200)
    reason = models.TextField(blank=True, default="")
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_repr}"


class WebhookEndpoint(models.Model):
    """A URL that receives a workspace's board events, signed per Standard Webhooks.

    ``secret`` signs every delivery; after a rotation ``previous_secret`` signs too until
    ``previous_secret_expires_at``, so that receivers can switch without losing any.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    # Event names from collab.event_types, or ["*"] for every event.
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts in a row, any board; reset by a success (collab/services/webhooks.py).
    failures_in_a_row = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace_id", "id"]
        indexes = [models.Index(fields=["workspace", "active"])]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent in seq order per endpoint and board, retried.

    ``message_id`` is the ``webhook-id`` header, the same on every attempt and every
    redelivery, so that a receiver can tell a retry from a new event.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Not foreign keys: a delivery outlives its board (board.deleted is delivered too)
    # and its event (pruned by age), so it keeps the event's JSON as it was recorded.
    board_id = models.PositiveBigIntegerField()
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict)
    seq = models.PositiveBigIntegerField()
    event_name = models.CharField(max_length=40)
    message_id = models.CharField(max_length=40, unique=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_unique_event")
        ]
        indexes = [models.Index(fields=["endpoint", "board_id", "state", "seq"])]

    def __str__(self) -> str:
        return f"{self.event_name} #{self.seq} to endpoint {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, with what came back."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.CharField(max_length=300, blank=True, default="")
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery_id", "id"]

    def __str__(self) -> str:
        return f"attempt on delivery {self.delivery_id}: {self.status_code or self.error}"


class Watch(models.Model):
    """A user following a card or a board: notified of its changes and comments.

    A card's creator, its commenters and its assignees watch it; anyone may stop.
    ``assigned`` remembers that the user is an assignee, so that an assignment is
    announced once, even to someone who stopped watching.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    watching = models.BooleanField(default=True)
    assigned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "card"],
                condition=models.Q(card__isnull=False),
                name="watch_one_per_card",
            ),
            models.UniqueConstraint(
                fields=["user", "board"],
                condition=models.Q(card__isnull=True),
                name="watch_one_per_board",
            ),
            models.CheckConstraint(
                condition=models.Q(card__isnull=False) | models.Q(board__isnull=False),
                name="watch_names_a_card_or_a_board",
            ),
        ]

    def __str__(self) -> str:
        target = f"card {self.card_id}" if self.card_id else f"board {self.board_id}"
        return f"{self.user_id} watches {target}"


class NotificationReason(models.TextChoices):
    MENTIONED = "mentioned", "Mentioned"
    ASSIGNED = "assigned", "Assigned"
    COMMENTED = "commented", "Commented on a watched card"
    CHANGED = "changed", "Changed a watched card"


class Notification(models.Model):
    """One event that concerns one user (never its actor): at most one per user and event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_name = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=10, choices=NotificationReason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The card's title when it happened, so that the inbox reads well after a rename.
    card_title = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "board", "seq"], name="notification_one_per_user_and_event"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.reason} for {self.user_id}: {self.event_name} #{self.seq}"


class CardDoc(models.Model):
    """A card's collaborative description (a Yjs document): its generation and snapshot.

    ``snapshot`` is the document's state (a Yjs update) as of update ``through_seq``;
    the updates after it are :class:`CardDocUpdate` rows, ``head_seq`` the last one.
    ``generation`` changes when the document is rebuilt from plain text (a reset): a
    client holding another generation drops its copy instead of merging two histories.
    The row is locked (``FOR UPDATE``) by every write to the document, after the
    board lock when the write takes one (``collab.services.docs``).
    """

    card = models.OneToOneField(Card, primary_key=True, on_delete=models.CASCADE, related_name="+")
    generation = models.CharField(max_length=32)
    snapshot = models.BinaryField(default=b"")
    through_seq = models.PositiveBigIntegerField(default=0)
    head_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    compacted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "card_doc_snapshot"

    def __str__(self) -> str:
        return f"description of card {self.card_id} ({self.generation[:8]}, #{self.head_seq})"


class CardDocUpdate(models.Model):
    """One accepted update of a card's document, stored before it is fanned out."""

    id = models.BigAutoField(primary_key=True)
    doc = models.ForeignKey(CardDoc, on_delete=models.CASCADE, related_name="updates")
    seq = models.PositiveBigIntegerField()
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "card_doc_update"
        ordering = ["doc", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["doc", "seq"], name="card_doc_update_unique_seq")
        ]

    def __str__(self) -> str:
        return f"update #{self.seq} of card {self.doc_id}"
