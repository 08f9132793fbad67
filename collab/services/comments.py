"""Writes to comments, including moderators' hide and unhide."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collab.events import record_event
from collab.exceptions import Forbidden, NotFound
from collab.models import Card, Comment
from collab.permissions import Action, AnyUser, allows, is_moderator, role_in
from collab.representations import CommentSerializer
from collab.services.guards import board_for_write, stored_user
from collab.validation import clean_text

MAX_BODY = 10_000


def _comment_for_write(
    actor: AnyUser, comment_id: int, action: Action, *, moderation: bool = False
) -> tuple[Comment, bool]:
    """Lock the comment's board; return the comment and whether the actor may moderate it.

    With ``moderation=True`` (hiding) a moderator passes on every board; editing and
    deleting stay with the board's own members.
    """
    board_id = (
        Comment.objects.filter(pk=comment_id).values_list("card__board_id", flat=True).first()
    )
    if board_id is None:
        raise NotFound("Comment not found.")
    board = board_for_write(actor, board_id, action, moderation=moderation)
    moderates = (moderation and is_moderator(actor)) or allows(
        role_in(actor, board.workspace_id), Action.MANAGE_BOARD
    )
    # Read again under the lock: a concurrent delete may have committed meanwhile.
    comment = (
        Comment.objects.select_related("author", "card")
        .filter(pk=comment_id, card__board_id=board_id)
        .first()
    )
    if comment is None:
        raise NotFound("Comment not found.")
    comment.card.board = board
    return comment, moderates


def comment_create(*, actor: AnyUser, card_id: int, body: str) -> Comment:
    """Comment on a card."""
    body = clean_text(body, field="body", max_length=MAX_BODY, multiline=True)
    board_id = Card.objects.filter(pk=card_id).values_list("board_id", flat=True).first()
    if board_id is None:
        raise NotFound("Card not found.")
    with transaction.atomic():
        board = board_for_write(actor, board_id, Action.WRITE_CARDS)
        # Read again under the lock: a concurrent delete may have committed meanwhile.
        card = Card.objects.filter(pk=card_id, board_id=board_id).first()
        if card is None:
            raise NotFound("Card not found.")
        comment = Comment.objects.create(card=card, author=stored_user(actor), body=body)
        record_event(
            board=board,
            event="comment.created",
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment


def comment_update(*, actor: AnyUser, comment_id: int, body: str) -> Comment:
    """Edit one's own comment."""
    body = clean_text(body, field="body", max_length=MAX_BODY, multiline=True)
    with transaction.atomic():
        comment, _ = _comment_for_write(actor, comment_id, Action.WRITE_CARDS)
        if comment.author_id != actor.pk:
            raise Forbidden("Only the author can edit a comment.")
        if comment.hidden:
            raise Forbidden("A hidden comment cannot be edited.")
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        record_event(
            board=comment.card.board,
            event="comment.updated",
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment


def comment_delete(*, actor: AnyUser, comment_id: int) -> None:
    """Delete a comment (its author, or a board admin)."""
    with transaction.atomic():
        comment, moderates = _comment_for_write(actor, comment_id, Action.WRITE_CARDS)
        if comment.author_id != actor.pk and not moderates:
            raise Forbidden("Only the author or a board admin can delete a comment.")
        record_event(
            board=comment.card.board,
            event="comment.deleted",
            data={"id": comment.pk},
            actor=actor,
        )
        comment.delete()


def comment_set_hidden(*, actor: AnyUser, comment_id: int, hidden: bool) -> Comment:
    """Hide a comment from everyone (moderators and board admins), or show it again."""
    with transaction.atomic():
        # Hiding is board management: a member is refused for the role, lock or no lock.
        comment, moderates = _comment_for_write(
            actor, comment_id, Action.MANAGE_BOARD, moderation=True
        )
        if not moderates:
            raise Forbidden("Only moderators and board admins can hide comments.")
        if comment.hidden == hidden:
            return comment
        comment.hidden = hidden
        comment.save(update_fields=["hidden"])
        record_event(
            board=comment.card.board,
            event="comment.hidden" if hidden else "comment.updated",
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment
