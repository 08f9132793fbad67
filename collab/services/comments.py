"""Writes to comments, including moderators' hide and unhide."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collab.event_types import (
    COMMENT_CREATED,
    COMMENT_DELETED,
    COMMENT_HIDDEN,
    COMMENT_REACTED,
    COMMENT_UPDATED,
)
from collab.events import record_event, redact_comment_history
from collab.exceptions import Forbidden
from collab.models import REACTIONS, Card, Comment, Reaction
from collab.permissions import Action, AnyUser, allows, role_in
from collab.representations import HIDDEN_BODY, CommentSerializer
from collab.selectors import comment_prime_reactions
from collab.services.guards import row_for_write, rows_for_write, stored_user
from collab.validation import clean_text, invalid

MAX_BODY = 10_000


COMMENT_NOT_FOUND = "Comment not found."
CARD_NOT_FOUND = "Card not found."


def _comment_for_write(actor: AnyUser, comment_id: int, action: Action) -> Comment:
    """Lock the comment's board if the actor may ``action`` there; return the comment.

    The comment is read again under the lock (a concurrent delete may have committed
    meanwhile), with its author and card.
    """
    rows = Comment.objects.select_related("author", "card").filter(pk=comment_id)
    comment, board = rows_for_write(
        actor, rows, action, board="card__board_id", not_found=COMMENT_NOT_FOUND
    )
    comment.card.board = board
    return comment


def comment_create(*, actor: AnyUser, card_id: int, body: str) -> Comment:
    """Comment on a card.

    Six queries: where the card is, the board lock, the card and the role under the
    lock, the comment, the board's seq, the event.
    """
    body = clean_text(body, field="body", max_length=MAX_BODY, multiline=True)
    with transaction.atomic():
        # The card is read again under the lock: a concurrent delete may have committed.
        card = row_for_write(actor, Card, card_id, Action.WRITE_CARDS, not_found=CARD_NOT_FOUND)
        comment = Comment.objects.create(card=card, author=stored_user(actor), body=body)
        comment_prime_reactions(comment, [])
        record_event(
            board=card.board,
            event=COMMENT_CREATED,
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment


def comment_update(*, actor: AnyUser, comment_id: int, body: str) -> Comment:
    """Edit one's own comment."""
    body = clean_text(body, field="body", max_length=MAX_BODY, multiline=True)
    with transaction.atomic():
        comment = _comment_for_write(actor, comment_id, Action.WRITE_CARDS)
        if comment.author_id != actor.pk:
            raise Forbidden("Only the author can edit a comment.")
        if comment.hidden:
            raise Forbidden("A hidden comment cannot be edited.")
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        record_event(
            board=comment.card.board,
            event=COMMENT_UPDATED,
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment


def comment_delete(*, actor: AnyUser, comment_id: int) -> None:
    """Delete a comment (its author, or a board admin)."""
    with transaction.atomic():
        comment = _comment_for_write(actor, comment_id, Action.WRITE_CARDS)
        moderates = allows(role_in(actor, comment.card.board.workspace_id), Action.MANAGE_BOARD)
        if comment.author_id != actor.pk and not moderates:
            raise Forbidden("Only the author or a board admin can delete a comment.")
        redact_comment_history(comment, body=HIDDEN_BODY)
        record_event(
            board=comment.card.board,
            event=COMMENT_DELETED,
            data={"id": comment.pk},
            actor=actor,
        )
        comment.delete()


def comment_set_hidden(*, actor: AnyUser, comment_id: int, hidden: bool) -> Comment:
    """Hide a comment from everyone (moderators and board admins), or show it again.

    Hiding is moderation (:attr:`Action.MODERATE`): a member is refused for the role,
    lock or no lock. Entry points call ``collab.services.moderation.moderate_comment``,
    which audits the act.
    """
    with transaction.atomic():
        comment = _comment_for_write(actor, comment_id, Action.MODERATE)
        if comment.hidden == hidden:
            return comment
        comment.hidden = hidden
        comment.save(update_fields=["hidden"])
        if hidden:
            redact_comment_history(comment, body=HIDDEN_BODY)
        record_event(
            board=comment.card.board,
            event=COMMENT_HIDDEN if hidden else COMMENT_UPDATED,
            data=CommentSerializer(comment).data,
            actor=actor,
        )
    return comment


def comment_react(
    *, actor: AnyUser, comment_id: int, reaction: str, active: bool | None = None
) -> Comment:
    """Add or take back the actor's ``reaction`` to a comment; toggle when ``active`` is None.

    One of each kind per user: the board lock serialises two requests of one user, and
    the unique constraint holds anyway. Asking for the state the reaction is already in
    changes nothing and records no event. Who may comment may react; a hidden comment
    takes no reactions.
    """
    if reaction not in REACTIONS:
        raise invalid("reaction", f"Must be one of: {', '.join(REACTIONS)}.")
    with transaction.atomic():
        comment = _comment_for_write(actor, comment_id, Action.WRITE_CARDS)
        if comment.hidden:
            raise Forbidden("A hidden comment cannot be reacted to.")
        user = stored_user(actor)
        mine = Reaction.objects.filter(comment=comment, user=user, reaction=reaction)
        present = mine.exists()
        wanted = not present if active is None else active
        if wanted != present:
            if wanted:
                Reaction.objects.create(comment=comment, user=user, reaction=reaction)
            else:
                mine.delete()
        reactions = list(comment.reactions.select_related("user").order_by("id"))
        comment_prime_reactions(comment, reactions)
        if wanted != present:
            record_event(
                board=comment.card.board,
                event=COMMENT_REACTED,
                data=CommentSerializer(comment).data,
                actor=actor,
            )
    return comment
