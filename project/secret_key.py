"""Refuse the published development secret key anywhere but development.

One rule, :func:`check_secret_key`, checked at deploy time in two ways that share it:
as a system check, which every management command that runs checks (``check``,
``migrate``, ``runserver``...) runs, and when a server builds its request handler
(:class:`RefusePublishedKeyMiddleware`: Daphne, any WSGI server, ``runserver``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

INSECURE_DEFAULT_SECRET = "corkboard-insecure-development-key-change-me"  # noqa: S105
MESSAGE = "SECRET_KEY is unset: set SECRET_KEY (or DEBUG=1 for local development)."


def check_secret_key(*, serving: bool) -> None:
    """Raise ImproperlyConfigured for the published key with DEBUG off.

    A server always refuses it. Other commands refuse it only when the environment sets
    DEBUG (a configured deployment), so that a bare checkout can still run
    ``makemigrations`` and the like. ``CORKBOARD_ALLOW_INSECURE_KEY`` marks a throwaway
    instance such as the test suite's servers.
    """
    if (
        settings.SECRET_KEY == INSECURE_DEFAULT_SECRET
        and not settings.DEBUG
        and not settings.ALLOW_INSECURE_KEY
        and (serving or settings.DEBUG_CONFIGURED)
    ):
        raise ImproperlyConfigured(MESSAGE)


def secret_key_system_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Report :func:`check_secret_key`'s refusal as a system check error."""
    try:
        check_secret_key(serving=False)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="corkboard.E001")]
    return []


class RefusePublishedKeyMiddleware:
    """Run :func:`check_secret_key` once, when a server loads its middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        check_secret_key(serving=True)
        # Nothing to do per request: Django drops a middleware that raises this.
        raise MiddlewareNotUsed
