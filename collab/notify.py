"""Who is told about a board event: mentions, assignments and watchers, as notifications.

:func:`collab.events.record_event` calls :func:`notify_for_event` under the board lock,
in the event's transaction. The rules, in order of precedence (one notification per
user and event, with the first reason that applies):

1. **mentioned**: ``@username`` in a comment or a card description names a member of
   the workspace (an edit tells only those it mentions for the first time);
2. **assigned**: the user became an assignee of the card;
3. **commented** / **changed**: the user watches the card or its board, and a comment
   was added or the card created, changed, moved or archived.

Never the actor; never someone who is not an active member of the workspace (mentioning
a stranger does nothing and tells nobody anything). Creating a card, commenting on it
and being assigned to it make the user watch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from collab.event_types import (
    CARD_ARCHIVED,
    CARD_CREATED,
    CARD_MOVED,
    CARD_UPDATED,
    COMMENT_CREATED,
    COMMENT_UPDATED,
)
from collab.markdown import MENTION
from collab.models import Board, Event, Membership, Notification, NotificationReason, Watch

CARD_EVENTS = {CARD_CREATED.name, CARD_UPDATED.name, CARD_MOVED.name, CARD_ARCHIVED.name}
COMMENT_EVENTS = {COMMENT_CREATED.name, COMMENT_UPDATED.name}


def mentioned_names(text: str) -> set[str]:
    """Return the lower-cased usernames ``text`` mentions as ``@name``."""
    return {match.lower() for match in MENTION.findall(text or "")}


def notify_for_event(board: Board, row: Event, actor: Any) -> None:
    """Record the notifications (and the watches) that ``row`` makes; publish after commit."""
    if row.event not in CARD_EVENTS and row.event not in COMMENT_EVENTS:
        return
    data = row.data
    is_comment = row.event in COMMENT_EVENTS
    card_id = int(data["card"] if is_comment else data["id"])
    comment_id = int(data["id"]) if is_comment else None
    actor_id = actor.pk if isinstance(actor, User) else None
    watches = list(Watch.objects.filter(Q(card_id=card_id) | Q(board_id=board.pk, card=None)))
    card_watches = {watch.user_id: watch for watch in watches if watch.card_id == card_id}
    reasons: dict[int, str] = {}
    new_watches: list[Watch] = []

    names = mentioned_names(str(data.get("body" if is_comment else "description", "")))
    members = _members(board.workspace_id) if names else {}
    if names:
        mentioned = {uid for uid, name in members.items() if name in names}
        if row.event in (COMMENT_UPDATED.name, CARD_UPDATED.name):
            mentioned -= _already_mentioned(mentioned, card_id, comment_id)
        for uid in sorted(mentioned):
            reasons.setdefault(uid, NotificationReason.MENTIONED)

    if row.event in (CARD_CREATED.name, CARD_UPDATED.name):
        assignees = {int(uid) for uid in data.get("assignees", [])}
        known = {uid for uid, watch in card_watches.items() if watch.assigned}
        Watch.objects.filter(card_id=card_id, user_id__in=known - assignees).update(assigned=False)
        for uid in sorted(assignees - known):
            _watch(card_watches, new_watches, board, card_id, uid, assigned=True)
            reasons.setdefault(uid, NotificationReason.ASSIGNED)

    if actor_id is not None and row.event in (CARD_CREATED.name, COMMENT_CREATED.name):
        if actor_id not in card_watches:
            _watch(card_watches, new_watches, board, card_id, actor_id)
    Watch.objects.bulk_create(new_watches)

    if row.event != COMMENT_UPDATED.name:
        reason = (
            NotificationReason.COMMENTED
            if row.event == COMMENT_CREATED.name
            else NotificationReason.CHANGED
        )
        board_watchers = {w.user_id for w in watches if w.card_id is None and w.watching}
        card_watchers = {uid for uid, watch in card_watches.items() if watch.watching}
        for uid in sorted(board_watchers | card_watchers):
            reasons.setdefault(uid, reason)

    reasons.pop(actor_id, None)  # type: ignore[arg-type]
    if not reasons:
        return
    members = members or _members(board.workspace_id)
    recipients = [uid for uid in reasons if uid in members]
    if not recipients:
        return
    title = _card_title(data, card_id, is_comment)
    created = Notification.objects.bulk_create(
        Notification(
            user_id=uid,
            board_id=board.pk,
            card_id=card_id,
            comment_id=comment_id,
            event=row,
            event_name=row.event,
            seq=row.seq,
            reason=reasons[uid],
            actor_id=actor_id,
            card_title=title,
        )
        for uid in recipients
    )
    if created:
        from collab.services.digests import schedule_digests
        from collab.services.notifications import publish_notifications

        schedule_digests(recipients, created)

        ids = [notification.pk for notification in created]
        transaction.on_commit(lambda: publish_notifications(ids))


def _members(workspace_id: int) -> dict[int, str]:
    """Return the workspace's active members: user id -> lower-cased username."""
    rows = Membership.objects.filter(workspace_id=workspace_id, user__is_active=True).order_by()
    return {uid: name.lower() for uid, name in rows.values_list("user_id", "user__username")}


def _already_mentioned(users: Iterable[int], card_id: int, comment_id: int | None) -> set[int]:
    earlier = Notification.objects.filter(
        user_id__in=list(users), card_id=card_id, reason=NotificationReason.MENTIONED
    )
    earlier = (
        earlier.filter(comment=None)
        if comment_id is None
        else earlier.filter(comment_id=comment_id)
    )
    return set(earlier.values_list("user_id", flat=True))


def _watch(
    card_watches: dict[int, Watch],
    new_watches: list[Watch],
    board: Board,
    card_id: int,
    user_id: int,
    *,
    assigned: bool = False,
) -> None:
    """Make ``user_id`` watch the card (a new row goes to ``new_watches``, saved at once)."""
    watch = card_watches.get(user_id)
    if watch is None:
        watch = Watch(user_id=user_id, board_id=board.pk, card_id=card_id, assigned=assigned)
        card_watches[user_id] = watch
        new_watches.append(watch)
    elif assigned:
        watch.assigned = watch.watching = True
        watch.save(update_fields=["assigned", "watching"])


def _card_title(data: dict[str, Any], card_id: int, is_comment: bool) -> str:
    if not is_comment:
        return str(data.get("title", ""))[:500]
    from collab.models import Card

    return next(iter(Card.objects.filter(pk=card_id).values_list("title", flat=True)), "")[:500]
