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
What one loop iteration asks is sent as one pipeline (:class:`_Batcher`).
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


class _Batcher:
    """One event loop's Redis commands, sent together: one pipeline per loop iteration.

    Commands issued while the loop runs one iteration (a reconnect storm: hundreds of
    sockets taking their tickets at once) go out in one pipeline, not one round trip and
    one pooled connection each. Each command stays atomic (no MULTI); an error fails
    only its own command, a connection error all of the batch.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._queue: list[tuple[asyncio.Future[Any], str, tuple[Any, ...]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def call(self, command: str, *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((future, command, args))
        return future

    def _flush(self) -> None:
        batch, self._queue = self._queue, []
        task = asyncio.ensure_future(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[tuple[asyncio.Future[Any], str, tuple[Any, ...]]]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for _, command, args in batch:
                getattr(pipe, command)(*args)
            results = await pipe.execute(raise_on_error=False)
        except BaseException as error:
            for future, _, _ in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (future, _, _), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


class RedisCache(DjangoRedisCache):
    """The project's cache backend when ``REDIS_URL`` or ``CACHE_URL`` is set."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._write_url = server.split(",")[0] if isinstance(server, str) else server[0]
        options = params.get("OPTIONS", {})
        self._async_options = {k: v for k, v in options.items() if k not in _SYNC_ONLY_OPTIONS}
        # A redis.asyncio client is bound to the loop that created it.
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = (
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

    def _async_client(self) -> _Batcher:
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
            client = _Batcher(aioredis.Redis(connection_pool=pool))
            self._async_clients[loop] = client
        return client

    async def atake(self, key: str, version: int | None = None) -> Any:
        """:meth:`take`, on the running event loop."""
        value = await self._async_client().call(
            "getdel", self.make_and_validate_key(key, version=version)
        )
        return None if value is None else self._loads(value)

    async def aget_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        """``get_many``, on the running event loop: one MGET."""
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        values = await self._async_client().call("mget", list(names))
        found = zip(names, values, strict=True)
        return {names[k]: self._loads(v) for k, v in found if v is not None}
