"""How the socket tier runs its (read-only) database work off the event loop.

Not on the one thread that ``database_sync_to_async`` uses under Daphne, which every
consumer also takes for the ``close_old_connections`` Channels runs before each
message: there, socket connects and subscribes wait behind each other and behind that
traffic. They run on a small pool of threads of their own instead (``thread_sensitive``
is off: these functions read, in autocommit, and share no state with the caller's
thread). Each thread has its own Django connection, so the pool never holds more than
:func:`pool_size` connections; ``close_old_connections`` runs before and after each
call, as for ``database_sync_to_async``, so a connection past ``CONN_MAX_AGE`` or
broken is closed, and a healthy persistent one is reused by the next call.

``CONN_HEALTH_CHECKS`` would then ping the server (``SELECT 1``) at the start of every
call: a round trip and a sixth of a socket connect's CPU during a reconnect storm. A
thread's connection that finished a call without error less than
``REALTIME_DB_TRUST_SECONDS`` ago skips that ping; one idle for longer is pinged as
Django does. The cost: a server restart inside that window fails the next call of each
thread once (the socket closes with 1011 and the client reconnects), instead of the
ping noticing it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections, connection, connections

T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_threads = 0


def pool_size() -> int:
    """Return how many threads read for the sockets (``REALTIME_DB_THREADS``)."""
    return max(1, int(settings.REALTIME_DB_THREADS))


def _executor() -> tuple[ThreadPoolExecutor, int]:
    """Return the process's pool and its size, started on first use (never at import)."""
    global _pool, _pool_threads
    with _lock:
        if _pool is None:
            _pool_threads = pool_size()
            _pool = ThreadPoolExecutor(max_workers=_pool_threads, thread_name_prefix="realtime-db")
        return _pool, _pool_threads


class _PoolRead(SyncToAsync):  # type: ignore[type-arg]
    """``database_sync_to_async`` on the pool: connections checked before and after.

    Channels' own class calls ``channels.db.close_old_connections``, which its test
    communicator replaces with a no-op (so that the one thread-sensitive thread keeps a
    test's connection): on the pool, that would leave a connection open per thread.
    The pool's threads never hold a test's transaction, so they always check.
    """

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        recent = time.monotonic() - getattr(_thread, "used_at", -math.inf) < _trust_seconds()
        if recent and connection.connection is not None:
            # Django's own flag: the connection counts as checked for this call.
            connection.health_check_done = True  # type: ignore[attr-defined]
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            close_old_connections()
            # Still open after the check: no error, not past CONN_MAX_AGE.
            _thread.used_at = time.monotonic() if connection.connection is not None else -math.inf


_thread = threading.local()


def _trust_seconds() -> float:
    return float(settings.REALTIME_DB_TRUST_SECONDS)


def db_read(function: Callable[..., T]) -> Callable[..., Any]:
    """Return an awaitable version of a read-only ORM function, for consumers.

    ``await db_read(function)(*args, **kwargs)`` runs it on the pool and returns its
    result (or raises its exception).
    """
    return _PoolRead(function, thread_sensitive=False, executor=_executor()[0])


def close_pool_connections() -> int:
    """Close the database connection of every thread of the pool; return how many ran.

    For a clean stop, and for tests that must leave no connection open. One job per
    thread: each waits at a barrier until all have started, so that no thread takes two.
    """
    pool, size = _executor()
    barrier = threading.Barrier(size)

    def close() -> None:
        barrier.wait(timeout=10)
        connections.close_all()

    jobs = [pool.submit(close) for _ in range(size)]
    for job in jobs:
        job.result(timeout=15)
    return len(jobs)
