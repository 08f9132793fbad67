"""The caller's notifications, and watching cards and boards."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import NotificationQuery, ReadAllOutput, WatchOutput
from api.views.base import ApiViewSet, represented
from collab.representations import NotificationSerializer
from collab.selectors import card_watching, notification_list, unread_count
from collab.services.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    watch_set,
)

_TAGS = ["notifications"]


class NotificationViewSet(ApiViewSet):
    """What concerns the caller: mentions, assignments, watched cards and boards."""

    @extend_schema(
        tags=_TAGS,
        parameters=[NotificationQuery],
        responses={200: NotificationSerializer(many=True), **errors(400, 403, 404)},
        description="Newest first. The `X-Unread-Count` header counts every unread one.",
    )
    def list(self, request: Request) -> Response:
        query = self.query(NotificationQuery)
        response = self.page(
            notification_list(user=request.user, unread=query["unread"]), NotificationSerializer
        )
        response["X-Unread-Count"] = str(unread_count(user=request.user))
        return response

    @extend_schema(
        tags=_TAGS, request=None, responses={200: NotificationSerializer, **errors(403, 404)}
    )
    def read(self, request: Request, pk: int) -> Response:
        notification = notification_mark_read(actor=request.user, notification_id=pk)
        return represented(NotificationSerializer, notification)

    @extend_schema(tags=_TAGS, request=None, responses={200: ReadAllOutput, **errors(403)})
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notifications_mark_all_read(actor=request.user)})


class CardWatchViewSet(ApiViewSet):
    """Watching a card: its changes and comments become notifications."""

    @extend_schema(tags=_TAGS, responses={200: WatchOutput, **errors(403, 404)})
    def state(self, request: Request, pk: int) -> Response:
        return Response({"watching": card_watching(user=request.user, card_id=pk)})

    @extend_schema(tags=_TAGS, request=None, responses={200: WatchOutput, **errors(403, 404)})
    def watch(self, request: Request, pk: int) -> Response:
        return Response({"watching": watch_set(actor=request.user, watching=True, card_id=pk)})

    @extend_schema(tags=_TAGS, request=None, responses={200: WatchOutput, **errors(403, 404)})
    def unwatch(self, request: Request, pk: int) -> Response:
        return Response({"watching": watch_set(actor=request.user, watching=False, card_id=pk)})


class BoardWatchViewSet(ApiViewSet):
    """Watching a board: changes and comments on any of its cards become notifications."""

    @extend_schema(tags=_TAGS, request=None, responses={200: WatchOutput, **errors(403, 404)})
    def watch(self, request: Request, pk: int) -> Response:
        return Response({"watching": watch_set(actor=request.user, watching=True, board_id=pk)})

    @extend_schema(tags=_TAGS, request=None, responses={200: WatchOutput, **errors(403, 404)})
    def unwatch(self, request: Request, pk: int) -> Response:
        return Response({"watching": watch_set(actor=request.user, watching=False, board_id=pk)})
