"""Comments on cards, and hiding them (moderators and board admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import CommentCreateInput, CommentFilter, CommentUpdateInput
from api.views.base import ApiViewSet, no_content, represented
from collab.representations import CommentSerializer
from collab.selectors import card_get_for_user, comment_get_for_user, comment_list
from collab.services.comments import (
    comment_create,
    comment_delete,
    comment_set_hidden,
    comment_update,
)

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
        if card_id is not None:
            card_get_for_user(user=request.user, card_id=card_id)
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
        request=None,
        responses={200: CommentSerializer, **errors(403, 404)},
        description="Hide the comment from everyone (moderators and board admins; an extension).",
    )
    def hide(self, request: Request, pk: int) -> Response:
        comment = comment_set_hidden(actor=request.user, comment_id=pk, hidden=True)
        return represented(CommentSerializer, comment)

    @extend_schema(
        tags=_TAGS,
        request=None,
        responses={200: CommentSerializer, **errors(403, 404)},
        description="Show a hidden comment again (moderators and board admins; an extension).",
    )
    def unhide(self, request: Request, pk: int) -> Response:
        comment = comment_set_hidden(actor=request.user, comment_id=pk, hidden=False)
        return represented(CommentSerializer, comment)
