"""Top-level views: the app shell, the admin's guarded log-in, health probes, the 500 page."""

from __future__ import annotations

import math
import sys

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from api.errors import dependency_failure, error_body, error_headers
from api.throttling import LoginThrottle
from project.health import run_checks

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Corkboard</title>
<p>The front end is not built yet: run <code>npm --prefix frontend ci &amp;&amp;
npm --prefix frontend run build</code>.
The API is at <a href="/api/v1/docs/">/api/v1/docs/</a>.</p>"""

_LOCKED_OUT = """<!doctype html><meta charset="utf-8"><title>Too many attempts</title>
<h1>Too many sign-in attempts</h1>
<p>Try again in {seconds} seconds. <a href="{url}">Back to the sign-in page</a>.</p>"""


@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    """Return the app shell; the CSRF cookie rides along for the app's first write."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(_NOT_BUILT)
    response = HttpResponse(index.read_text(encoding="utf-8"))
    response["Cache-Control"] = "no-cache"
    return response


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Return the admin's log-in page, refusing guesses beyond the API log-in's limits."""
    if request.method == "POST":
        throttle = LoginThrottle()
        if not throttle.allow_attempt(request, request.POST.get("username")):
            seconds = max(1, math.ceil(throttle.wait() or 1))
            page = _LOCKED_OUT.format(seconds=seconds, url=escape(request.get_full_path()))
            response = HttpResponse(page, status=429)
            response["Retry-After"] = str(seconds)
            return response
    return admin.site.login(request)


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer that the process is up; asks no dependency."""
    return JsonResponse({"status": "ok"})


async def readyz(request: HttpRequest) -> JsonResponse:
    """Report whether the database, the cache and the channel layer answer (503 if not)."""
    ready, checks = await run_checks()
    response = JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer an uncaught exception: a JSON 503 if a dependency failed, else a 500.

    API paths get the API's error shape; other pages Django's plain 500 page.
    """
    unavailable = dependency_failure(sys.exc_info()[1])
    if unavailable is not None:
        body = error_body(unavailable.code, unavailable.message)
        response = JsonResponse(body, status=unavailable.status, headers=error_headers(unavailable))
    elif request.path.startswith("/api/"):
        body = error_body("server_error", "Something went wrong on our side; it is logged.")
        response = JsonResponse(body, status=500)
    else:
        return defaults.server_error(request)
    response["Cache-Control"] = "no-store"
    return response
