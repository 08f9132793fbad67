"""Webhooks of a workspace (owners and admins): endpoints, their deliveries, redelivery."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers import (
    DeliveryQuery,
    RedeliverSinceInput,
    RedeliverSinceOutput,
    WebhookCreatedOutput,
    WebhookCreateInput,
    WebhookUpdateInput,
)
from api.views.base import ApiViewSet, no_content, represented
from collab.models import WebhookEndpoint
from collab.representations import WebhookDeliverySerializer, WebhookSerializer, represent
from collab.selectors import delivery_list, webhook_get_for_manager, webhook_list
from collab.services.webhooks import (
    delivery_redeliver,
    webhook_create,
    webhook_delete,
    webhook_redeliver_since,
    webhook_rotate_secret,
    webhook_update,
)

_TAGS = ["webhooks"]


def _with_secret(
    endpoint: WebhookEndpoint, secret: str, code: int = status.HTTP_200_OK
) -> Response:
    return Response({"secret": secret, **represent(WebhookSerializer, endpoint)}, status=code)


class WebhookViewSet(ApiViewSet):
    """Endpoints that receive the workspace's board events, signed (Standard Webhooks)."""

    @extend_schema(tags=_TAGS, responses={200: WebhookSerializer(many=True), **errors(403, 404)})
    def list(self, request: Request, workspace_id: int) -> Response:
        return self.page(
            webhook_list(user=request.user, workspace_id=workspace_id), WebhookSerializer
        )

    @extend_schema(
        tags=_TAGS,
        request=WebhookCreateInput,
        responses={201: WebhookCreatedOutput, **errors(400, 403, 404, 413)},
        description="The response carries the signing secret, shown this once.",
    )
    def create(self, request: Request, workspace_id: int) -> Response:
        data = self.parsed(WebhookCreateInput)
        endpoint, secret = webhook_create(actor=request.user, workspace_id=workspace_id, **data)
        return _with_secret(endpoint, secret, status.HTTP_201_CREATED)

    @extend_schema(tags=_TAGS, responses={200: WebhookSerializer, **errors(403, 404)})
    def retrieve(self, request: Request, workspace_id: int, pk: int) -> Response:
        endpoint = webhook_get_for_manager(
            user=request.user, workspace_id=workspace_id, webhook_id=pk
        )
        return represented(WebhookSerializer, endpoint)

    @extend_schema(
        tags=_TAGS,
        request=WebhookUpdateInput,
        responses={200: WebhookSerializer, **errors(400, 403, 404, 413)},
    )
    def partial_update(self, request: Request, workspace_id: int, pk: int) -> Response:
        data = self.parsed(WebhookUpdateInput)
        webhook_get_for_manager(user=request.user, workspace_id=workspace_id, webhook_id=pk)
        endpoint = webhook_update(actor=request.user, endpoint_id=pk, **data)
        return represented(WebhookSerializer, endpoint)

    @extend_schema(tags=_TAGS, responses={204: None, **errors(403, 404)})
    def destroy(self, request: Request, workspace_id: int, pk: int) -> Response:
        webhook_get_for_manager(user=request.user, workspace_id=workspace_id, webhook_id=pk)
        webhook_delete(actor=request.user, endpoint_id=pk)
        return no_content()

    @extend_schema(
        tags=_TAGS,
        request=None,
        responses={200: WebhookCreatedOutput, **errors(403, 404)},
        description=(
            "A new signing secret, shown this once. The previous one keeps signing "
            "deliveries (a second `v1,` signature) for `WEBHOOK_SECRET_GRACE_SECONDS`."
        ),
    )
    def rotate_secret(self, request: Request, workspace_id: int, pk: int) -> Response:
        webhook_get_for_manager(user=request.user, workspace_id=workspace_id, webhook_id=pk)
        endpoint, secret = webhook_rotate_secret(actor=request.user, endpoint_id=pk)
        return _with_secret(endpoint, secret)

    @extend_schema(
        tags=_TAGS,
        request=RedeliverSinceInput,
        responses={202: RedeliverSinceOutput, **errors(400, 403, 404, 413)},
        description="Send again every event of one board after seq `since` that it wants.",
    )
    def redeliver(self, request: Request, workspace_id: int, pk: int) -> Response:
        data = self.parsed(RedeliverSinceInput)
        webhook_get_for_manager(user=request.user, workspace_id=workspace_id, webhook_id=pk)
        queued = webhook_redeliver_since(
            actor=request.user, endpoint_id=pk, board_id=data["board"], since=data["since"]
        )
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class DeliveryViewSet(ApiViewSet):
    """A webhook's delivery log: each event sent to it, with every attempt."""

    @extend_schema(
        tags=_TAGS,
        parameters=[DeliveryQuery],
        responses={200: WebhookDeliverySerializer(many=True), **errors(400, 403, 404)},
    )
    def list(self, request: Request, workspace_id: int, webhook_id: int) -> Response:
        query = self.query(DeliveryQuery)
        deliveries = delivery_list(
            user=request.user,
            workspace_id=workspace_id,
            webhook_id=webhook_id,
            state=query.get("state"),
            board_id=query.get("board"),
        )
        return self.page(deliveries, WebhookDeliverySerializer)

    @extend_schema(
        tags=_TAGS,
        request=None,
        responses={202: WebhookDeliverySerializer, **errors(403, 404)},
        description="Send this delivery again (same `webhook-id`, a fresh retry schedule).",
    )
    def redeliver(self, request: Request, workspace_id: int, webhook_id: int, pk: int) -> Response:
        webhook_get_for_manager(user=request.user, workspace_id=workspace_id, webhook_id=webhook_id)
        delivery = delivery_redeliver(actor=request.user, delivery_id=pk, endpoint_id=webhook_id)
        return represented(WebhookDeliverySerializer, delivery, status.HTTP_202_ACCEPTED)
