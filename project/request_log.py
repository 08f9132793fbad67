"""Request ids and one log line per HTTP request.

Every request gets an id: the ``X-Request-ID`` header the proxy set (nginx does) when
it is well formed, else a new one; sockets get theirs by the same rule
(realtime/socket_log.py). While the request runs, the id is held in
:data:`request_id_var`, which the log filter (project/logconfig.py) copies into every
record; it is echoed in the response's ``X-Request-ID`` header, and the request's
``corkboard.request`` line carries it with the user, route, status and duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import LazyObject, empty

from realtime.request_ids import request_id_from

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

logger = logging.getLogger("corkboard.request")

_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
# Probes and scrapes come every few seconds: at DEBUG they do not flood the logs.
_QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})


def request_route(request: HttpRequest) -> str:
    """Return the URL pattern that served ``request`` (no ids in it), or ``unmatched``."""
    match = request.resolver_match
    return match.route if match is not None and match.route else "unmatched"


def request_method(request: HttpRequest) -> str:
    """Return the request's method if it is a standard one, else ``other``."""
    method = (request.method or "").upper()
    return method if method in _METHODS else "other"


def _user_id(request: HttpRequest) -> int | None:
    """Return the id of the user the request was served for, or ``None``.

    DRF sets ``request.user`` to a token's user while the view runs. A session user
    that nothing in the request loaded stays unloaded: the log line never costs a
    query (nor a database call from async code).
    """
    user: Any = getattr(request, "user", None)
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None


def _start(request: HttpRequest) -> tuple[float, str, Token[str | None]]:
    """Return the start time and the request's id, held in the context (and its reset token)."""
    request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    return time.perf_counter(), request_id, request_id_var.set(request_id)


def _finish(
    request: HttpRequest, response: HttpResponse, started: float, request_id: str
) -> HttpResponse:
    """Echo the request id on ``response`` and write the request's log line."""
    response[REQUEST_ID_HEADER] = request_id
    route, status = request_route(request), response.status_code
    if route in _QUIET_ROUTES:
        level = logging.DEBUG
    else:
        level = logging.ERROR if status >= 500 else logging.INFO
    fields = {
        "request_id": request_id,
        "user_id": _user_id(request),
        "method": request_method(request),
        "route": route,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    logger.log(level, "request", extra=fields)
    return response


class HybridMiddleware:
    """A middleware that runs sync or async, whichever the handler below it is.

    Subclasses implement ``__call__`` for both: ``self.is_async`` says which.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            # Marks the instance, whose class (a subclass) defines ``__call__``.
            markcoroutinefunction(cast(Any, self))


class RequestLogMiddleware(HybridMiddleware):
    """Give each request its id, echo it in ``X-Request-ID`` and log one line after it.

    Outermost, so that the line has the final status, including a 500 (Django turns
    an uncaught exception into the error response before it gets here). Runs sync
    or async, whichever the handler is, so that async views (``/readyz``) stay async.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        started, request_id, token = _start(request)
        try:
            return _finish(request, self.get_response(request), started, request_id)
        finally:
            request_id_var.reset(token)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started, request_id, token = _start(request)
        try:
            return _finish(request, await self.get_response(request), started, request_id)
        finally:
            request_id_var.reset(token)
