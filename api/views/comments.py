"""Comments on cards, and hiding them (moderators and board admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import (
    CommentCreateInput,
    CommentFilter,
    CommentUpdateInput,
    ModerationInput,
    ReactionInput,
)
from api.views.base import ApiViewSet, no_content, represented
from collab.representations import CommentSerializer
from collab.selectors import comment_get_for_user, comment_list
from collab.services.comments import comment_create, comment_delete, comment_react, comment_update
from collab.services.moderation import moderate_comment

_TAGS = ["comments"]


class CommentViewSet(ApiViewSet):
    @extend_schema(
        tags=_TAGS,
        parameters=[CommentFilter],
        responses={200: CommentSerializer(many=True), **errors(400, 403, 404)},
        description="Oldest first. A hidden comment's body is withheld (empty).",
    )
    def list(self, request: Request) -> Response:
        card_id = self.query(CommentFilter).get("card")
        return self.page(comment_list(user=request.user, card_id=card_id), CommentSerializer)

    @extend_schema(
        tags=_TAGS,
        request=CommentCreateInput,
        responses={201: CommentSerializer, **errors(400, 403, 404, 413, 423)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(CommentCreateInput)
        comment = comment_create(actor=request.user, card_id=data["card"], body=data["body"])
        return represented(CommentSerializer, comment, status.HTTP_201_CREATED)

    @extend_schema(tags=_TAGS, responses={200: CommentSerializer, **errors(403, 404)})
    def retrieve(self, request: Request, pk: int) -> Response:
        comment = comment_get_for_user(user=request.user, comment_id=pk)
        return represented(CommentSerializer, comment)

    @extend_schema(
        tags=_TAGS,
        request=CommentUpdateInput,
        responses={200: CommentSerializer, **errors(400, 403, 404, 413, 423)},
        description="Only the author edits a comment, and not once it is hidden.",
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(CommentUpdateInput)
        comment = comment_update(actor=request.user, comment_id=pk, body=data["body"])
        return represented(CommentSerializer, comment)

    @extend_schema(
        tags=_TAGS,
        responses={204: None, **errors(403, 404, 423)},
        description="The author or a board admin deletes a comment.",
    )
    def destroy(self, request: Request, pk: int) -> Response:
        comment_delete(actor=request.user, comment_id=pk)
        return no_content()

    @extend_schema(
        tags=_TAGS,
        request=ReactionInput,
        responses={200: CommentSerializer, **errors(400, 403, 404, 413, 423)},
        description=(
            "React to a comment (an extension): one of each kind per user, added, taken "
            "back, or toggled when `active` is left out. Answers the comment with its "
            "reactions; a change is a `comment.reacted` event."
        ),
    )
    def react(self, request: Request, pk: int) -> Response:
        data = self.parsed(ReactionInput)
        comment = comment_react(
            actor=request.user, comment_id=pk, reaction=data["reaction"], active=data.get("active")
        )
        return represented(CommentSerializer, comment)

    @extend_schema(
        tags=_TAGS,
        request=ModerationInput,
        responses={200: CommentSerializer, **errors(400, 403, 404, 413)},
        description=(
            "Hide the comment from everyone (board admins and moderators; an extension). "
            "The reason is required and kept in the moderation log."
        ),
    )
    def hide(self, request: Request, pk: int) -> Response:
        return self._moderate(request, pk, hidden=True)

    @extend_schema(
        tags=_TAGS,
        request=ModerationInput,
        responses={200: CommentSerializer, **errors(400, 403, 404, 413)},
        description=(
            "Show a hidden comment again (board admins and moderators; an extension). "
            "The reason is required and kept in the moderation log."
        ),
    )
    def unhide(self, request: Request, pk: int) -> Response:
        return self._moderate(request, pk, hidden=False)

    def _moderate(self, request: Request, pk: int, *, hidden: bool) -> Response:
        data = self.parsed(ModerationInput)
        comment = moderate_comment(
            actor=request.user, comment_id=pk, hidden=hidden, reason=data["reason"]
        )
        return represented(CommentSerializer, comment)
