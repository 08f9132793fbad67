"""The base of every API view: JSON in and out, strict input, paginated lists, no caching."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers, status
from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from api import idempotency
from api.pagination import PagePagination
from api.parsers import JSONParser
from api.throttling import rate_limit_headers
from collab.representations import represent

SerializerClass = type[serializers.Serializer]  # type: ignore[type-arg]


class RouteMetadata(BaseMetadata):
    """Answer ``OPTIONS`` with the route's name and description (methods are in ``Allow``).

    DRF's default describes the input serializer of a generic view, which these views
    do not declare; the OpenAPI schema documents the inputs instead.
    """

    def determine_metadata(self, request: Request, view: APIView) -> dict[str, Any]:
        return {"name": view.get_view_name(), "description": view.get_view_description()}


class ApiView(APIView):
    """An endpoint with the API's JSON parser that validates input with serializers."""

    parser_classes = [JSONParser]
    metadata_class = RouteMetadata
    idempotency: idempotency.Claim | None = None
    # The throttles that counted this request (None until they have).
    counted_throttles: list[BaseThrottle] | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.idempotency = None
        self.counted_throttles = None
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            idempotency.release(self.idempotency)  # a crash leaves the key free to retry
            raise

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Authenticate, check and throttle, then claim the ``Idempotency-Key`` if any."""
        if request.method == "POST" and idempotency.HEADER in request.META:
            request.body  # noqa: B018 (read before anything parses it: the fingerprint's)
        super().initial(request, *args, **kwargs)
        self.idempotency = idempotency.begin(request)

    def check_throttles(self, request: Request) -> None:
        """Count the request as DRF does, keeping the throttles for the response's headers."""
        self.counted_throttles = self.get_throttles()
        durations = [
            throttle.wait()
            for throttle in self.counted_throttles
            if not throttle.allow_request(request, self)
        ]
        if durations:
            wait = max((d for d in durations if d is not None), default=None)
            # DRF takes None too (no Retry-After); its stubs say float.
            self.throttled(request, wait)  # type: ignore[arg-type]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.Replayed):
            return exc.response  # type: ignore[return-value]
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """Forbid caching (responses carry private rows, tokens and tickets, errors too),
        store the response for its ``Idempotency-Key``, and add the rate-limit headers.

        A view that means to be cacheable sets its own ``Cache-Control``. The rate-limit
        headers are added after the response is stored: a replay reports the limits as
        they are when it is replayed.
        """
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        idempotency.finish(self.idempotency, response)
        for name, value in rate_limit_headers(request, self, self.counted_throttles).items():
            response[name] = value
        return response

    def parsed(self, serializer_class: SerializerClass) -> dict[str, Any]:
        """Return the body validated by ``serializer_class`` (400 otherwise)."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def query(self, serializer_class: SerializerClass) -> dict[str, Any]:
        """Return the query string validated by ``serializer_class`` (400 otherwise)."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def represented(
    serializer_class: SerializerClass, instance: Any, status_code: int = status.HTTP_200_OK
) -> Response:
    """Return ``instance`` in its wire shape."""
    return Response(represent(serializer_class, instance), status=status_code)


def no_content() -> Response:
    return Response(status=status.HTTP_204_NO_CONTENT)


class ApiViewSet(ApiView, GenericViewSet):  # type: ignore[type-arg]
    """A resource: parse with one serializer, call one service or selector, represent.

    Reads come from ``collab.selectors`` and writes from ``collab.services``; nothing
    here reads or writes models itself.
    """

    pagination_class = PagePagination

    def page(self, rows: Iterable[Any], serializer_class: SerializerClass) -> Response:
        """Return one page of ``rows`` represented by ``serializer_class``."""
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        assert page is not None  # a pagination class is always set
        return self.get_paginated_response(serializer_class(page, many=True).data)
