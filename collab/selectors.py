"""Reads: querysets filtered to what a user may see, with their related rows loaded.

REST views and socket consumers read through these, so both see the same rows, and
each list runs a constant number of queries whatever its size. Every one filters by
:func:`~collab.permissions.readable_boards` (or the workspaces behind it): moderators
read no board they are not a member of; they see reported content in the admin's
report queue. A list filtered by a parent the user cannot read (``board=``,
``column=``, ``card=``, ``workspace=``) raises that parent's NotFound, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import IntegerField, Model, OuterRef, Prefetch, QuerySet, Subquery, Value

from accounts.models import ApiToken
from collab.compiled import CompiledQuery
from collab.exceptions import NotFound
from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Event,
    Label,
    Membership,
    Notification,
    Reaction,
    Watch,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from collab.permissions import AnyUser, readable_boards, readable_workspaces, reads_anything
from collab.representations import (
    BoardSerializer,
    CardSerializer,
    ColumnSerializer,
    LabelSerializer,
    MemberSerializer,
)


def workspace_list(*, user: AnyUser) -> QuerySet[Workspace]:
    """Return the user's workspaces, each annotated with the user's ``role``."""
    memberships = Membership.objects.filter(workspace=OuterRef("pk"), user_id=cast(int, user.pk))
    role = memberships.values("role")[:1]
    workspaces = readable_workspaces(user).annotate(role=Subquery(role))
    return workspaces.order_by("name", "id")


def workspace_get_for_user(*, user: AnyUser, workspace_id: int) -> Workspace:
    workspace = workspace_list(user=user).filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound("Workspace not found.")
    return workspace


def member_list(*, user: AnyUser, workspace_id: int) -> QuerySet[Membership]:
    workspace_get_for_user(user=user, workspace_id=workspace_id)
    return (
        Membership.objects.filter(workspace_id=workspace_id)
        .select_related("user")
        .order_by("user__username")
    )


def board_list(*, user: AnyUser, workspace_id: int | None = None) -> QuerySet[Board]:
    """Return the boards of the user's workspaces (of one, if given)."""
    boards = readable_boards(user)
    if workspace_id is not None:
        workspace_get_for_user(user=user, workspace_id=workspace_id)
        boards = boards.filter(workspace_id=workspace_id)
    return boards.order_by("title", "id")


def board_get_for_user(*, user: AnyUser, board_id: int) -> Board:
    """Return a board the user can read, or raise NotFound."""
    board = readable_boards(user).filter(pk=board_id).first()
    if board is None:
        raise NotFound("Board not found.")
    return board


def _board_seq_query(user_id: int, board_id: int) -> QuerySet[Any]:
    reader = get_user_model()(pk=user_id, is_active=True)
    return readable_boards(reader).filter(pk=board_id).order_by().values_list("seq")


_BOARD_SEQ = CompiledQuery(_board_seq_query, 2)


def board_seq_for_user(*, user: AnyUser, board_id: int) -> int:
    """Return the seq of a board the user can read, or raise NotFound.

    :func:`board_get_for_user`'s check, with its SQL compiled once
    (:mod:`collab.compiled`): what every socket subscribe asks.
    """
    rows = _BOARD_SEQ.rows(int(user.pk), board_id) if reads_anything(user) else []
    if not rows:
        raise NotFound("Board not found.")
    seq: int = rows[0][0]
    return seq


def column_list(*, user: AnyUser, board_id: int | None = None) -> QuerySet[Column]:
    columns = Column.objects.filter(board__in=readable_boards(user))
    if board_id is not None:
        board_get_for_user(user=user, board_id=board_id)
        columns = columns.filter(board_id=board_id)
    return columns.order_by("board_id", "position")


def card_list(
    *,
    user: AnyUser,
    board_id: int | None = None,
    column_id: int | None = None,
    archived: bool | None = None,
) -> QuerySet[Card]:
    """Return the cards the user can read, with assignees and labels prefetched."""
    cards = Card.objects.filter(board__in=readable_boards(user))
    if board_id is not None:
        board_get_for_user(user=user, board_id=board_id)
        cards = cards.filter(board_id=board_id)
    if column_id is not None:
        column_get_for_user(user=user, column_id=column_id)
        cards = cards.filter(column_id=column_id)
    if archived is not None:
        cards = cards.filter(archived=archived)
    return _with_relations(cards).order_by("column_id", "position", "id")


def _with_relations(cards: QuerySet[Card]) -> QuerySet[Card]:
    """Prefetch the ids that ``CardSerializer`` shows, so a list runs constant queries."""
    return cards.prefetch_related(
        Prefetch("assignees", queryset=get_user_model().objects.only("id")),
        Prefetch("labels", queryset=Label.objects.only("id")),
    )


@dataclass
class CardRelations:
    """The ids of a card's assignees and labels."""

    assignees: list[int]
    labels: list[int]


_ASSIGNEE, _LABEL = 0, 1


def card_relations(card_id: int) -> CardRelations:
    """Return the ids of the card's assignees and labels, in one query for both."""
    kind = IntegerField()
    assignees = Card.assignees.through.objects.filter(card_id=card_id).values_list(
        "user_id", Value(_ASSIGNEE, output_field=kind)
    )
    labels = Card.labels.through.objects.filter(card_id=card_id).values_list(
        "label_id", Value(_LABEL, output_field=kind)
    )
    relations = CardRelations(assignees=[], labels=[])
    for pk, which in assignees.union(labels, all=True):
        (relations.assignees if which == _ASSIGNEE else relations.labels).append(pk)
    return relations


def card_prime_relations(card: Card, relations: CardRelations) -> Card:
    """Give the card the assignees and labels that :func:`_with_relations` would prefetch.

    For a card whose relations the caller has just read or written, under the board
    lock (so they cannot change meanwhile): representing it then reads no rows. The
    cache is Django's prefetch cache, with the same id-only rows a prefetch loads, so
    ``card.assignees.all()`` reads it too, and any change through ``card.assignees``
    or ``card.labels`` drops it, as it drops a prefetch.
    """
    _prime(card, "assignees", get_user_model(), relations.assignees)
    _prime(card, "labels", Label, relations.labels)
    return card


def _prime(card: Card, relation: str, model: type[Model], ids: list[int]) -> None:
    rows = getattr(card, relation).get_queryset()
    rows._result_cache = [model.from_db(rows.db, ["id"], [pk]) for pk in sorted(ids)]
    rows._prefetch_done = True
    card.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = rows


def comment_list(*, user: AnyUser, card_id: int | None = None) -> QuerySet[Comment]:
    comments = Comment.objects.filter(card__board__in=readable_boards(user))
    if card_id is not None:
        card_get_for_user(user=user, card_id=card_id)
        comments = comments.filter(card_id=card_id)
    return (
        comments.select_related("author")
        .prefetch_related(reactions_prefetch())
        .order_by("created_at", "id")
    )


def reactions_prefetch() -> Prefetch[Any]:
    """Prefetch comments' reactions with their users: one query for a page of comments."""
    return Prefetch("reactions", queryset=Reaction.objects.select_related("user").order_by("id"))


def comment_prime_reactions(comment: Comment, reactions: list[Reaction]) -> Comment:
    """Give a comment the reactions a caller has just read or written (or ``[]`` for a new
    comment), so that representing it reads no rows; as :func:`card_prime_relations`."""
    rows: Any = comment.reactions.get_queryset()
    rows._result_cache = reactions
    rows._prefetch_done = True
    comment.__dict__.setdefault("_prefetched_objects_cache", {})["reactions"] = rows
    return comment


def label_list(*, user: AnyUser, board_id: int | None = None) -> QuerySet[Label]:
    labels = Label.objects.filter(board__in=readable_boards(user))
    if board_id is not None:
        board_get_for_user(user=user, board_id=board_id)
        labels = labels.filter(board_id=board_id)
    return labels.order_by("board_id", "name")


def event_list(*, board_id: int, after: int = 0, limit: int | None = None) -> QuerySet[Event]:
    """Return a board's events after ``after`` in seq order (caller checks access)."""
    events = Event.objects.filter(board_id=board_id, seq__gt=after).select_related("actor")
    events = events.order_by("seq")
    return events[:limit] if limit is not None else events


@dataclass(frozen=True)
class EventPage:
    """Up to ``limit`` events after a seq, the board's head seq, and whether more follow.

    ``seq`` is never behind the last event returned (events may land between the reads).
    """

    events: list[Event]
    seq: int
    has_more: bool


def event_page(*, user: AnyUser, board_id: int, after: int, limit: int) -> EventPage:
    """Return the events the user may read after ``after``: the events API and replay."""
    board = board_get_for_user(user=user, board_id=board_id)
    # One extra row tells whether another page follows, without a count query.
    rows = list(event_list(board_id=board.pk, after=after, limit=limit + 1))
    events = rows[:limit]
    seq = max(board.seq, events[-1].seq if events else 0)
    return EventPage(events=events, seq=seq, has_more=len(rows) > limit)


def board_snapshot(*, user: AnyUser, board_id: int) -> dict[str, Any]:
    """Return everything a client needs to draw a board, in a constant number of queries.

    ``seq`` is read first, with the board, and the rows after it: a row may already
    show the effect of an event after ``seq``, and applying that event again is
    harmless since payloads carry versions. So snapshot + events after ``seq`` always
    converge on the board's state (tests/collab/test_convergence.py).
    """
    board = board_get_for_user(user=user, board_id=board_id)
    cards = _with_relations(Card.objects.filter(board_id=board_id, archived=False)).order_by(
        "column_id", "position"
    )
    members = Membership.objects.filter(workspace_id=board.workspace_id).select_related("user")
    return {
        "seq": board.seq,
        "board": BoardSerializer(board).data,
        "columns": ColumnSerializer(board.columns.order_by("position"), many=True).data,
        "cards": CardSerializer(cards, many=True).data,
        "labels": LabelSerializer(board.labels.order_by("name"), many=True).data,
        "members": MemberSerializer(members.order_by("user__username"), many=True).data,
    }


def column_get_for_user(*, user: AnyUser, column_id: int) -> Column:
    column = column_list(user=user).filter(pk=column_id).first()
    if column is None:
        raise NotFound("Column not found.")
    return column


def card_get_for_user(*, user: AnyUser, card_id: int) -> Card:
    card = card_list(user=user).filter(pk=card_id).first()
    if card is None:
        raise NotFound("Card not found.")
    return card


def comment_get_for_user(*, user: AnyUser, comment_id: int) -> Comment:
    comment = comment_list(user=user).filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("Comment not found.")
    return comment


def label_get_for_user(*, user: AnyUser, label_id: int) -> Label:
    label = label_list(user=user).filter(pk=label_id).first()
    if label is None:
        raise NotFound("Label not found.")
    return label


def token_list(*, user: AnyUser) -> QuerySet[ApiToken]:
    """Return the user's personal access tokens, newest first, revoked ones included."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=cast(int, user.pk)).order_by("-created_at", "-id")


def webhook_list(*, user: AnyUser, workspace_id: int) -> QuerySet[WebhookEndpoint]:
    """Return a workspace's webhooks, for its owners and admins."""
    from collab.services.webhooks import require_manager

    require_manager(user, workspace_id)
    return WebhookEndpoint.objects.filter(workspace_id=workspace_id).order_by("id")


def webhook_get_for_manager(
    *, user: AnyUser, workspace_id: int, webhook_id: int
) -> WebhookEndpoint:
    from collab.services.webhooks import endpoint_for_manager

    endpoint = endpoint_for_manager(user, webhook_id)
    if endpoint.workspace_id != workspace_id:
        raise NotFound("Webhook not found.")
    return endpoint


def delivery_list(
    *,
    user: AnyUser,
    workspace_id: int,
    webhook_id: int,
    state: str | None = None,
    board_id: int | None = None,
) -> QuerySet[WebhookDelivery]:
    """Return an endpoint's deliveries, newest first, each with its attempts."""
    webhook_get_for_manager(user=user, workspace_id=workspace_id, webhook_id=webhook_id)
    deliveries = WebhookDelivery.objects.filter(endpoint_id=webhook_id)
    if state:
        deliveries = deliveries.filter(state=state)
    if board_id is not None:
        deliveries = deliveries.filter(board_id=board_id)
    return deliveries.prefetch_related("attempt_log").order_by("-id")


def notification_list(*, user: AnyUser, unread: bool | None = None) -> QuerySet[Notification]:
    """Return the user's notifications, newest first (only unread, or only read, if asked)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    notifications = Notification.objects.filter(user_id=user.pk)
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    return notifications.select_related("actor").order_by("-id")


def unread_count(*, user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at=None).count()


def card_watching(*, user: AnyUser, card_id: int) -> bool:
    """Return whether the user watches the card (404 if they cannot read it)."""
    card_get_for_user(user=user, card_id=card_id)
    return Watch.objects.filter(user_id=cast(int, user.pk), card_id=card_id, watching=True).exists()
