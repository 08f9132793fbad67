"""Django's Redis cache, with one Redis client per connection pool, and ``take``.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call; its
constructor (the response-callback table) costs more CPU than the round trip it
prepares, about a fifth of a socket connect's own work in ``bench/fanout.py``. A
``redis.Redis`` is safe to share between threads (each command borrows a connection
from the pool), so this client keeps one per pool.

``take(key)`` reads and deletes a key in one atomic step (``GETDEL``, Redis 6.2 or
later): a single-use ticket is spent by exactly one of two concurrent redeemers, in one
round trip. Other caches have no ``take``; callers fall back to get-then-delete.

``atake`` and ``aget_many`` are natively asynchronous (``redis.asyncio``, one client per
event loop, the same server and timeouts): Django's default async methods run the sync
ones on a thread, a hop that cost a socket connect more than the round trip itself.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, cast

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import asyncio as aioredis

# Connections of each event loop's async client (per process, under Daphne).
_ASYNC_CONNECTIONS = 32
# OPTIONS that configure Django's sync client, not a connection.
_SYNC_ONLY_OPTIONS = ("serializer", "pool_class", "parser_class")


class SharedClientRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` that reuses one ``redis.Redis`` per connection pool."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            with self._clients_lock:
                client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client

    def take(self, key: str) -> Any:
        value = self.get_client(key, write=True).getdel(key)
        return None if value is None else self._serializer.loads(value)  # type: ignore[attr-defined]


class RedisCache(DjangoRedisCache):
    """The project's cache backend when ``REDIS_URL`` or ``CACHE_URL`` is set."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._write_url = server.split(",")[0] if isinstance(server, str) else server[0]
        options = params.get("OPTIONS", {})
        self._async_options = {k: v for k, v in options.items() if k not in _SYNC_ONLY_OPTIONS}
        # A redis.asyncio client is bound to the loop that created it.
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def _client(self) -> SharedClientRedisCacheClient:
        return cast(SharedClientRedisCacheClient, self._cache)

    def _loads(self, value: bytes) -> Any:
        return self._client._serializer.loads(value)  # type: ignore[attr-defined]

    def take(self, key: str, version: int | None = None) -> Any:
        """Return the key's value and delete it, atomically; ``None`` if there was none."""
        return self._client.take(self.make_and_validate_key(key, version=version))

    def _async_client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            # A bounded pool that waits for a free connection (the default one raises
            # past 100): a reconnect storm queues here instead of failing sockets.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._write_url,
                max_connections=_ASYNC_CONNECTIONS,
                timeout=5,
                **self._async_options,
            )
            client = aioredis.Redis(connection_pool=pool)
            self._async_clients[loop] = client
        return client

    async def atake(self, key: str, version: int | None = None) -> Any:
        """:meth:`take`, on the running event loop."""
        value = await self._async_client().getdel(self.make_and_validate_key(key, version=version))
        return None if value is None else self._loads(value)

    async def aget_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        """``get_many``, on the running event loop: one MGET."""
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        values = await self._async_client().mget(list(names))
        found = zip(names, values, strict=True)
        return {names[k]: self._loads(v) for k, v in found if v is not None}
