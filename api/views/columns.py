"""A board's columns, ordered by server-computed positions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.concurrency import expected_version, with_etag
from api.schema import ETAG, IF_MATCH, errors
from api.serializers import BoardChildFilter, ColumnCreateInput, ColumnMoveInput, ColumnUpdateInput
from api.views.base import ApiViewSet, no_content, represented
from collab.models import Column
from collab.representations import ColumnSerializer
from collab.selectors import column_get_for_user, column_list
from collab.services.columns import column_create, column_delete, column_move, column_update

_TAGS = ["columns"]


def _column_response(column: Column, status_code: int = status.HTTP_200_OK) -> Response:
    return with_etag(represented(ColumnSerializer, column, status_code), column.version)


class ColumnViewSet(ApiViewSet):
    @extend_schema(
        tags=_TAGS,
        parameters=[BoardChildFilter],
        responses={200: ColumnSerializer(many=True), **errors(400, 403, 404)},
    )
    def list(self, request: Request) -> Response:
        board_id = self.query(BoardChildFilter).get("board")
        return self.page(column_list(user=request.user, board_id=board_id), ColumnSerializer)

    @extend_schema(
        tags=_TAGS,
        request=ColumnCreateInput,
        parameters=[ETAG],
        responses={201: ColumnSerializer, **errors(400, 403, 404, 413, 423)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(ColumnCreateInput)
        column = column_create(
            actor=request.user,
            board_id=data["board"],
            title=data["title"],
            after=data.get("after"),
            before=data.get("before"),
        )
        return _column_response(column, status.HTTP_201_CREATED)

    @extend_schema(
        tags=_TAGS, parameters=[ETAG], responses={200: ColumnSerializer, **errors(403, 404)}
    )
    def retrieve(self, request: Request, pk: int) -> Response:
        return _column_response(column_get_for_user(user=request.user, column_id=pk))

    @extend_schema(
        tags=_TAGS,
        request=ColumnUpdateInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: ColumnSerializer, **errors(400, 403, 404, 412, 413, 423)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(ColumnUpdateInput)
        column = column_update(
            actor=request.user,
            column_id=pk,
            title=data["title"],
            expected_version=expected_version(request),
        )
        return _column_response(column)

    @extend_schema(
        tags=_TAGS,
        parameters=[IF_MATCH],
        responses={204: None, **errors(400, 403, 404, 412, 423)},
        description="Delete the column and every card in it.",
    )
    def destroy(self, request: Request, pk: int) -> Response:
        column_delete(actor=request.user, column_id=pk, expected_version=expected_version(request))
        return no_content()

    @extend_schema(
        tags=_TAGS,
        request=ColumnMoveInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: ColumnSerializer, **errors(400, 403, 404, 412, 413, 423)},
        description=(
            "Move the column right after `after`, else right before `before`, else last "
            "(an extension)."
        ),
    )
    def move(self, request: Request, pk: int) -> Response:
        data = self.parsed(ColumnMoveInput)
        column = column_move(
            actor=request.user,
            column_id=pk,
            after=data.get("after"),
            before=data.get("before"),
            expected_version=expected_version(request),
        )
        return _column_response(column)
