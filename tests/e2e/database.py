"""Database work of the browser tests, done on a worker thread away from Playwright's loop.

Playwright's sync API keeps its event loop marked as running in the main thread, so there
Django refuses ORM calls and ``async_to_sync`` (which publishes events after commit)
raises. A short-lived thread has no running loop: writes commit and publish as in
production.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")


def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``function`` on a fresh thread and return its result (or raise its error)."""

    def job() -> T:
        try:
            return function(*args, **kwargs)
        finally:
            # The test database is flushed and dropped later: leave no connection open.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(job).result()
