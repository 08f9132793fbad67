"""Boards, their lock, their snapshot and their event history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.concurrency import expected_version, with_etag
from api.schema import ETAG, IF_MATCH, errors
from api.serializers import (
    BoardCreateInput,
    BoardFilter,
    BoardUpdateInput,
    EventPageOutput,
    EventQuery,
    SnapshotOutput,
)
from api.views.base import ApiViewSet, no_content, represented
from collab.models import Board
from collab.representations import BoardSerializer, EventSerializer
from collab.selectors import (
    board_get_for_user,
    board_list,
    board_snapshot,
    event_page,
)
from collab.services.boards import board_create, board_delete, board_set_locked, board_update

_TAGS = ["boards"]


def _board_response(board: Board, status_code: int = status.HTTP_200_OK) -> Response:
    return with_etag(represented(BoardSerializer, board, status_code), board.version)


class BoardViewSet(ApiViewSet):
    @extend_schema(
        tags=_TAGS,
        parameters=[BoardFilter],
        responses={200: BoardSerializer(many=True), **errors(400, 403, 404)},
    )
    def list(self, request: Request) -> Response:
        workspace_id = self.query(BoardFilter).get("workspace")
        boards = board_list(user=request.user, workspace_id=workspace_id)
        return self.page(boards, BoardSerializer)

    @extend_schema(
        tags=_TAGS,
        request=BoardCreateInput,
        parameters=[ETAG],
        responses={201: BoardSerializer, **errors(400, 403, 404, 413)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(BoardCreateInput)
        board = board_create(
            actor=request.user,
            workspace_id=data["workspace"],
            title=data["title"],
            description=data.get("description", ""),
        )
        return _board_response(board, status.HTTP_201_CREATED)

    @extend_schema(
        tags=_TAGS, parameters=[ETAG], responses={200: BoardSerializer, **errors(403, 404)}
    )
    def retrieve(self, request: Request, pk: int) -> Response:
        return _board_response(board_get_for_user(user=request.user, board_id=pk))

    @extend_schema(
        tags=_TAGS,
        request=BoardUpdateInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: BoardSerializer, **errors(400, 403, 404, 412, 413, 423)},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(BoardUpdateInput)
        board = board_update(
            actor=request.user,
            board_id=pk,
            title=data.get("title"),
            description=data.get("description"),
            expected_version=expected_version(request),
        )
        return _board_response(board)

    @extend_schema(
        tags=_TAGS, parameters=[IF_MATCH], responses={204: None, **errors(400, 403, 404, 412, 423)}
    )
    def destroy(self, request: Request, pk: int) -> Response:
        board_delete(actor=request.user, board_id=pk, expected_version=expected_version(request))
        return no_content()

    @extend_schema(
        tags=_TAGS,
        request=None,
        parameters=[ETAG],
        responses={200: BoardSerializer, **errors(403, 404)},
        description="Make the board read-only for everyone but its admins (an extension).",
    )
    def lock(self, request: Request, pk: int) -> Response:
        return _board_response(board_set_locked(actor=request.user, board_id=pk, locked=True))

    @extend_schema(
        tags=_TAGS,
        request=None,
        parameters=[ETAG],
        responses={200: BoardSerializer, **errors(403, 404)},
        description="Make a locked board writable again (an extension).",
    )
    def unlock(self, request: Request, pk: int) -> Response:
        return _board_response(board_set_locked(actor=request.user, board_id=pk, locked=False))

    @extend_schema(
        tags=_TAGS,
        responses={200: SnapshotOutput, **errors(403, 404)},
        description=(
            "Everything needed to draw the board at one `seq`: apply the events with a "
            "higher seq (socket or the events route) on top. Archived cards are left out."
        ),
    )
    def snapshot(self, request: Request, pk: int) -> Response:
        return Response(board_snapshot(user=request.user, board_id=pk))

    @extend_schema(
        tags=_TAGS,
        parameters=[EventQuery],
        responses={200: EventPageOutput, **errors(400, 403, 404)},
        description=(
            "The board's events with `seq > after`, in seq order: the history and the "
            "way to fill a gap. Page on with `after` = the last seq while `has_more`."
        ),
    )
    def events(self, request: Request, pk: int) -> Response:
        query = self.query(EventQuery)
        page = event_page(
            user=request.user, board_id=pk, after=query["after"], limit=query["limit"]
        )
        results = EventSerializer(page.events, many=True).data
        return Response({"results": results, "seq": page.seq, "has_more": page.has_more})
