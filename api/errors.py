"""The one error shape of the API: ``{"error": CODE, "message": TEXT, "detail"?: {...}}``.

Every failure — a domain error from the services, a DRF exception, Django's own
``Http404``/``PermissionDenied``, an oversized body, a dependency that is down — leaves
through :func:`exception_handler`, so clients parse one shape whatever went wrong. Errors
raised outside DRF's views reach ``project.views.server_error``, which answers the same
shape for dependency failures and API paths.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.response import Response

from collab.exceptions import CorkboardError, ServiceUnavailable, error_body, error_headers

logger = logging.getLogger(__name__)

__all__ = ["error_body", "error_headers"]

# A dependency (PostgreSQL, Redis) failing: the request may succeed if retried later.
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, RedisError)

# DRF exception classes and the wire code each maps to, most specific first.
_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "invalid"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
    (exceptions.ParseError, "bad_request"),
)


class InvalidCredentials(CorkboardError):
    code = "invalid_credentials"
    status = 400
    default_message = "The username or password is not correct."


class PayloadTooLarge(CorkboardError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."


class InsufficientScope(exceptions.PermissionDenied):
    """A token lacks the scope the request needs (``error_code`` overrides the class code)."""

    error_code = "insufficient_scope"


class SessionRequired(exceptions.PermissionDenied):
    error_code = "session_required"
    default_detail = "Sign in with a browser session to manage tokens; a token cannot."


def dependency_failure(exc: BaseException | None) -> ServiceUnavailable | None:
    """Return the 503 to answer for ``exc`` if a dependency failed, else ``None``.

    The failure is logged as one line, without the traceback: it is the dependency's
    state, not a bug here.
    """
    if not isinstance(exc, DEPENDENCY_ERRORS):
        return None
    logger.warning("Dependency unavailable: %s: %s", type(exc).__name__, str(exc).strip())
    return ServiceUnavailable()


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"field.sub": [text, ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _validation_message(detail: dict[str, list[str]]) -> str:
    field, messages = next(iter(detail.items()))
    return f"{field}: {messages[0]}" if field != "non_field_errors" else messages[0]


def _from_api_exception(exc: exceptions.APIException) -> Response:
    code = getattr(exc, "error_code", None) or next(
        (name for cls, name in _CODES if isinstance(exc, cls)), "error"
    )
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None) or 1
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        body = error_body(code, _validation_message(detail) if detail else "Invalid input.", detail)
    else:
        body = error_body(code, str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return the error response for ``exc``, or ``None`` for a genuine server error."""
    # Imported here: rest_framework.views imports the permission classes named in
    # settings, which import this module.
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    else:
        exc = dependency_failure(exc) or exc

    if isinstance(exc, CorkboardError):
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, exc.detail),
            status=exc.status,
            headers=error_headers(exc),
        )
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _from_api_exception(exc)
    return None
