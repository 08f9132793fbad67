"""Personal access tokens: list, create (plaintext shown once), revoke. Sessions only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import SessionOnly, TokenScopePermission
from api.schema import errors
from api.serializers import TokenCreatedOutput, TokenCreateInput
from api.views.base import ApiViewSet, no_content
from collab.representations import TokenSerializer, represent
from collab.selectors import token_list
from collab.services.tokens import token_create, token_revoke

_TAGS = ["tokens"]


class TokenViewSet(ApiViewSet):
    """A token cannot manage tokens: a leaked one must not be able to mint more."""

    permission_classes = [IsAuthenticated, SessionOnly, TokenScopePermission]

    @extend_schema(tags=_TAGS, responses={200: TokenSerializer(many=True), **errors(403, 404)})
    def list(self, request: Request) -> Response:
        return self.page(token_list(user=request.user), TokenSerializer)

    @extend_schema(
        tags=_TAGS,
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput, **errors(400, 403, 413)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(TokenCreateInput)
        token, plaintext = token_create(
            actor=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
        )
        body = {"token": plaintext, **represent(TokenSerializer, token)}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(tags=_TAGS, responses={204: None, **errors(403, 404)})
    def destroy(self, request: Request, pk: int) -> Response:
        token_revoke(actor=request.user, token_id=pk)
        return no_content()
