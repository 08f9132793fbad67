"""Cards: CRUD, archive (through PATCH), and moves between columns."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.concurrency import expected_version, with_etag
from api.page_cache import cached_page
from api.schema import ETAG, IF_MATCH, errors
from api.serializers import CardCreateInput, CardFilter, CardMoveInput, CardUpdateInput
from api.views.base import ApiViewSet, no_content, represented
from collab.models import Card
from collab.representations import CardSerializer
from collab.selectors import board_seq_for_user, card_get_for_user, card_list
from collab.services.cards import card_create, card_delete, card_move, card_update

_TAGS = ["cards"]


def _card_response(card: Card, status_code: int = status.HTTP_200_OK) -> Response:
    return with_etag(represented(CardSerializer, card, status_code), card.version)


class CardViewSet(ApiViewSet):
    @extend_schema(
        tags=_TAGS,
        parameters=[CardFilter],
        responses={200: CardSerializer(many=True), **errors(400, 403, 404)},
        description="Cards in board order (column, then position), archived ones included "
        "unless `archived=false`.",
    )
    def list(self, request: Request) -> HttpResponse | Response:
        query = self.query(CardFilter)

        def page() -> Response:
            cards = card_list(
                user=request.user,
                board_id=query.get("board"),
                column_id=query.get("column"),
                archived=query.get("archived"),
            )
            return self.page(cards, CardSerializer)

        if query.get("board") is None or query.get("column") is not None:
            return page()
        # One board's pages are cached under its seq; the access check runs every time.
        board_id = query["board"]
        seq = board_seq_for_user(user=request.user, board_id=board_id)
        return cached_page(request, f"cards:{board_id}:{seq}", page)

    @extend_schema(
        tags=_TAGS,
        request=CardCreateInput,
        parameters=[ETAG],
        responses={201: CardSerializer, **errors(400, 403, 404, 413, 423)},
    )
    def create(self, request: Request) -> Response:
        data = self.parsed(CardCreateInput)
        card = card_create(actor=request.user, column_id=data.pop("column"), **data)
        return _card_response(card, status.HTTP_201_CREATED)

    @extend_schema(
        tags=_TAGS, parameters=[ETAG], responses={200: CardSerializer, **errors(403, 404)}
    )
    def retrieve(self, request: Request, pk: int) -> Response:
        return _card_response(card_get_for_user(user=request.user, card_id=pk))

    @extend_schema(
        tags=_TAGS,
        request=CardUpdateInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: CardSerializer, **errors(400, 403, 404, 412, 413, 423)},
        description="Change the given fields; `archived` archives or restores the card.",
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        data = self.parsed(CardUpdateInput)
        card = card_update(
            actor=request.user, card_id=pk, expected_version=expected_version(request), **data
        )
        return _card_response(card)

    @extend_schema(
        tags=_TAGS, parameters=[IF_MATCH], responses={204: None, **errors(400, 403, 404, 412, 423)}
    )
    def destroy(self, request: Request, pk: int) -> Response:
        card_delete(actor=request.user, card_id=pk, expected_version=expected_version(request))
        return no_content()

    @extend_schema(
        tags=_TAGS,
        request=CardMoveInput,
        parameters=[IF_MATCH, ETAG],
        responses={200: CardSerializer, **errors(400, 403, 404, 412, 413, 423)},
        description=(
            "Move the card into `column`, right after `after`, else right before `before`, "
            "else last. The server computes the position; no other card is renumbered."
        ),
    )
    def move(self, request: Request, pk: int) -> Response:
        data = self.parsed(CardMoveInput)
        card = card_move(
            actor=request.user,
            card_id=pk,
            column_id=data["column"],
            after=data.get("after"),
            before=data.get("before"),
            expected_version=expected_version(request),
        )
        return _card_response(card)
