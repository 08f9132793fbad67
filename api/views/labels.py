"""A board's labels (an extension of the v1 contract: cards refer to them by id)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import BoardChildFilter, LabelCreateInput, LabelUpdateInput
from api.views.base import ApiViewSet, no_content, represented
from collab.representations import LabelSerializer
from collab.selectors import label_get_for_user, label_list
from collab.services.labels import label_create, label_delete, label_update

_TAGS = ["labels"]


class LabelViewSet(ApiViewSet):
    @extend_schema(
        tags=_TAGS,
        parameters=[BoardChildFilter],
        responses={200: LabelSerializer(many=True), **errors(400, 403, 404)},
    )
    def list(self, request: Request) -> Response:
        board_id = self.query(BoardChildFilter).get("board")
        return self.page(label_list(user=request.user, board_id=board_id), LabelSerializer)

    @extend_schema(
        tags=_TAGS,
        request=LabelCreateInput,
        responses={201: LabelSerializer, **errors(400, 403, 404, 409, 413, 423)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(LabelCreateInput)
        label = label_create(
            actor=request.user,
            board_id=data["board"],
            name=data["name"],
            **({"color": data["color"]} if "color" in data else {}),
        )
        return represented(LabelSerializer, label, status.HTTP_201_CREATED)

    @extend_schema(tags=_TAGS, responses={200: LabelSerializer, **errors(403, 404)})
    def retrieve(self, request: Request, pk: int) -> Response:
        return represented(LabelSerializer, label_get_for_user(user=request.user, label_id=pk))

    @extend_schema(
        tags=_TAGS,
        request=LabelUpdateInput,
        responses={200: LabelSerializer, **errors(400, 403, 404, 409, 413, 423)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(LabelUpdateInput)
        label = label_update(
            actor=request.user, label_id=pk, name=data.get("name"), color=data.get("color")
        )
        return represented(LabelSerializer, label)

    @extend_schema(tags=_TAGS, responses={204: None, **errors(403, 404, 423)})
    def destroy(self, request: Request, pk: int) -> Response:
        label_delete(actor=request.user, label_id=pk)
        return no_content()
