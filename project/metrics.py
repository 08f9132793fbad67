"""Prometheus metrics of a process: HTTP requests, database queries, readiness, ``/metrics``.

Every process keeps its own figures in prometheus-client's default registry (the
realtime tier's are in :mod:`realtime.metrics`); ``GET /metrics`` shows them to a
scraper that sends ``Authorization: Bearer <METRICS_TOKEN>``, and is a plain 404 to
anyone else. Labels never hold an id: a request is labelled with its URL pattern.

Importing this module counts every database query of the process, whatever thread
runs it: each new connection gets an execute wrapper (``connection_created``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.db.backends.signals import connection_created
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import resolve
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from project.request_log import HybridMiddleware, request_method, request_route

# A ``*_created`` series beside every counter doubles the output and nobody reads it.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "corkboard_http_requests_total",
    "HTTP requests answered, by method, URL pattern and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "corkboard_http_request_duration_seconds",
    "Time to produce an HTTP response, by method and URL pattern.",
    ["method", "route"],
)
DB_QUERIES = Counter("corkboard_db_queries_total", "Database statements executed.")
DB_ERRORS = Counter("corkboard_db_errors_total", "Database statements that raised an error.")
READY = Gauge(
    "corkboard_ready",
    "Result of each readiness check at the last /readyz or manage.py health (1 ok, 0 failed).",
    ["check"],
)


def _observe(request: HttpRequest, response: HttpResponse, started: float) -> None:
    # The same method and route as the request's log line (project/request_log.py).
    method, route = request_method(request), request_route(request)
    HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
    HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


class MetricsMiddleware(HybridMiddleware):
    """Count every response and its duration by method, route and status.

    Django turns an exception of an inner layer into its 500 (or 503) response before
    it gets here, so failed requests are counted too. Sync and async, so an async view
    (``/readyz``) runs without a thread hop.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response: HttpResponse = _scrape(request) or self.get_response(request)
        _observe(request, response, started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response: HttpResponse = _scrape(request) or await self.get_response(request)
        _observe(request, response, started)
        return response


def _scrape(request: HttpRequest) -> HttpResponse | None:
    """Answer ``/metrics`` here, before the host and HTTPS checks of the inner middleware.

    A scraper calls each process by its own address (``web1:8000``, a pod IP) over plain
    HTTP: neither is in ``ALLOWED_HOSTS``, and ``HTTPS_ONLY`` would redirect it.
    """
    if request.path_info != "/metrics":
        return None
    request.resolver_match = resolve(request.path_info)
    return metrics_view(request)


def _count_query(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    DB_QUERIES.inc()
    try:
        return execute(sql, params, many, context)
    except DatabaseError:
        DB_ERRORS.inc()
        raise


def _wrap_connection(sender: object, connection: Any, **kwargs: object) -> None:
    # First in the list, so outermost: it counts what inner wrappers refuse, and the
    # ``with connection.execute_wrapper(...)`` blocks of others pop their own.
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _count_query)


connection_created.connect(_wrap_connection, dispatch_uid="corkboard-db-metrics")


def _authorized(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return secrets.compare_digest(token.strip().encode(), expected.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Return this process's metrics in Prometheus' text format, to the scraper only.

    Without ``METRICS_TOKEN`` set, or without ``Authorization: Bearer <it>``, the same
    404 as any unknown path: the endpoint does not say that it exists.
    """
    if not _authorized(request):
        raise Http404
    response = HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
