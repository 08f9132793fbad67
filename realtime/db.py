"""How the socket tier runs its (read-only) database work off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from channels.db import database_sync_to_async

T = TypeVar("T")


def db_read(function: Callable[..., T]) -> Callable[..., Any]:
    """Return an awaitable version of a read-only ORM function, for consumers."""
    return database_sync_to_async(function)
