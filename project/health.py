"""Readiness checks: PostgreSQL, the Redis cache and a channel-layer round trip.

Used by ``GET /readyz`` and ``manage.py health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

from project.metrics import READY

# Each readiness check gets this long before it counts as failed.
_CHECK_TIMEOUT = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value not read back")
    cache.delete(key)


async def _channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("readyz.")
    try:
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("unexpected message")
    finally:
        # channels_redis unsubscribes a channel when a receive on it is cancelled.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 0.05)


async def _timed(check: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "ok"}
    try:
        await asyncio.wait_for(check(), _CHECK_TIMEOUT)
    except Exception as error:  # any failure is the answer here, not a crash
        reason = "timed out" if isinstance(error, TimeoutError) else str(error).strip()
        result = {"status": "error", "error": f"{type(error).__name__}: {reason}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run every check; return whether all passed and each one's status and time.

    Each result is also this process's ``corkboard_ready{check}`` gauge (1 ok, 0 failed).
    """
    # At once, so that one dependency down costs one timeout, not three; the cache check
    # runs off the shared thread, where a hanging database connect would queue it.
    database, cache_, layer = await asyncio.gather(
        _timed(sync_to_async(_database)),
        _timed(sync_to_async(_cache, thread_sensitive=False)),
        _timed(_channel_layer),
    )
    checks = {"database": database, "cache": cache_, "channel_layer": layer}
    for name, check in checks.items():
        READY.labels(name).set(1 if check["status"] == "ok" else 0)
    return all(check["status"] == "ok" for check in checks.values()), checks
