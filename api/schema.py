"""OpenAPI pieces: the error shape, the security schemes, shared parameters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

_DESCRIPTIONS = {
    400: "Malformed JSON or If-Match, wrong types, unknown fields, or a rule of the field.",
    401: "No valid session or token (revoked, expired, or the account is suspended).",
    403: "The role or the token scope does not allow this, or a CSRF check failed.",
    404: "No such object, or not in a workspace you belong to; or no such page of a list.",
    409: "Conflicts with the current state (duplicate, last owner).",
    412: "If-Match names a stale version; reload and retry.",
    413: "The request body is too large.",
    423: "The board is locked; only admins may change it.",
    429: "Rate limited; retry after the Retry-After header's seconds.",
}


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The one error shape of every failure."""

    error = serializers.CharField(help_text="A stable code, e.g. invalid, not_found.")
    message = serializers.CharField(help_text="A human-readable sentence.")
    detail = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, when fields are at fault.",
    )


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Return schema responses in the error shape for ``statuses`` (401 and 429 always)."""
    codes = sorted({401, 429, *statuses})
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version from the ETag header, e.g. "3"; a stale one gets 412.',
)


ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description='The object\'s version, e.g. "3"; send it back in If-Match.',
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (cbp_...) created at /api/v1/tokens/.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A browser session; unsafe methods need the X-CSRFToken header.",
        }


_IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Any unique string (a UUID): retrying the same request with the same key within "
        "24 h returns the first response (with `Idempotent-Replayed: true`) and writes "
        "nothing again. Ignored on anonymous requests."
    ),
}
_IDEMPOTENCY_ERRORS = {
    "400": "The Idempotency-Key is not 1 to 255 visible ASCII characters.",
    "409": "A request with this Idempotency-Key is still running (`idempotency_key_in_use`); "
    "retry after the Retry-After header's seconds.",
    "422": "This Idempotency-Key was used for another request (`idempotency_key_reused`).",
}


def idempotency_hook(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document ``Idempotency-Key`` and its two errors on every POST (api/idempotency.py)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        post = operations.get("post")
        if post is None:
            continue
        post.setdefault("parameters", []).append(dict(_IDEMPOTENCY_HEADER))
        responses = post.setdefault("responses", {})
        for status, description in _IDEMPOTENCY_ERRORS.items():
            if status not in responses:
                responses[status] = {"description": description, "content": error}
            else:
                responses[status]["description"] += " Or: " + description
    return result


_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed per window by the tightest limit that applies.",
    "RateLimit-Remaining": "Requests left in that window.",
    "RateLimit-Reset": (
        "Seconds until the oldest counted request leaves the window (one more is allowed "
        "then); 0 when none is counted."
    ),
}


def rate_limit_hook(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Document the ``RateLimit-*`` headers on every response (api/throttling.py)."""
    components = result.setdefault("components", {}).setdefault("headers", {})
    for name, description in _RATE_LIMIT_HEADERS.items():
        components[name] = {"description": description, "schema": {"type": "integer", "minimum": 0}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for response in operation["responses"].values():
                headers = response.setdefault("headers", {})
                for name in _RATE_LIMIT_HEADERS:
                    headers[name] = {"$ref": f"#/components/headers/{name}"}
    return result
