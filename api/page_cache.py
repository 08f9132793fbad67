"""A board's list pages, kept in the shared cache under the board's event seq.

Every change to what a card list shows (a card's fields, its assignees and labels, a
label or column deleted, a card archived or moved) is a board event, and every board
event raises the board's ``seq`` in the same transaction. So a page computed after
reading seq S shows the board at S or later, and a page cached under S is never served
once the board has moved past S: a write makes its board's pages new keys, and nothing
has to be invalidated. The cached value is the page's data, the same for every reader
(card representations carry ids, never the reader's own state); the access check
runs on every request, before the cache is read, so a membership change takes effect
at once. Redis is a cache here: while it fails, pages are computed as if nothing were
cached (logged once per outage).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.response import Response

logger = logging.getLogger(__name__)

_CACHE_ERRORS = (RedisError, OSError)
_down = False  # whether the last cache call failed: the outage is logged once


def _key(scope: str, request: Request) -> str:
    """Return the cache key of ``scope``'s page for this request's URL and format.

    The URL (scheme, host, path, every query parameter) is part of the key because the
    page's ``next`` and ``previous`` links are absolute.
    """
    accepted = getattr(request, "accepted_media_type", "") or ""
    url = request.build_absolute_uri()
    digest = hashlib.sha256(f"{url}\n{accepted}".encode()).hexdigest()[:32]
    return f"page:{scope}:{digest}"


def _report(error: Exception | None) -> None:
    global _down
    if error is not None and not _down:
        logger.warning("Cache unreachable: list pages are computed uncached (%s).", error)
    elif error is None and _down:
        logger.info("Cache reachable again: list pages are cached again.")
    _down = error is not None


def _rendered(content: bytes, request: Request) -> HttpResponse:
    """Return rendered page bytes as the view would: DRF's ``Response`` content type."""
    renderer = request.accepted_renderer
    content_type = renderer.media_type
    if renderer.charset:
        content_type = f"{content_type}; charset={renderer.charset}"
    return HttpResponse(content, content_type=content_type)


def cached_page(
    request: Request, scope: str, compute: Callable[[], Response]
) -> HttpResponse | Response:
    """Return the page of ``scope`` (e.g. ``cards:<board>:<seq>``) for this request.

    ``compute`` builds the page when it is not cached; a 200 in JSON is rendered once
    and its bytes kept for ``LIST_PAGE_CACHE_SECONDS`` (0 turns the cache off). Other
    formats (the browsable API) and other statuses are never cached.
    """
    timeout = settings.LIST_PAGE_CACHE_SECONDS
    renderer = request.accepted_renderer
    if timeout <= 0 or renderer.format != "json":
        return compute()
    key = _key(scope, request)
    try:
        content: Any = cache.get(key)
    except _CACHE_ERRORS as error:
        _report(error)
        return compute()
    if content is not None:
        _report(None)
        return _rendered(content, request)
    response = compute()
    if response.status_code != 200:
        return response
    content = renderer.render(
        response.data, request.accepted_media_type, {"request": request, "response": response}
    )
    try:
        cache.set(key, content, timeout=timeout)
    except _CACHE_ERRORS as error:
        _report(error)
    else:
        _report(None)
    return _rendered(content, request)
