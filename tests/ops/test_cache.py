"""The project's Redis cache backend: one client per pool, atomic take, native async reads."""

from __future__ import annotations

import pprint
import threading
import uuid
from typing import Any

from django.core.cache import cache

from project.cache import RedisCache, SharedClientRedisCacheClient
from realtime.shutdown import _LazyFormat


def _key() -> str:
    return f"test-cache:{uuid.uuid4().hex}"


def test_the_cache_is_the_projects_backend_with_one_client_per_pool() -> None:
    backend: Any = cache._connections[cache._alias]  # type: ignore[attr-defined]
    assert isinstance(backend, RedisCache)
    client = backend._cache
    assert isinstance(client, SharedClientRedisCacheClient)
    assert client.get_client(write=True) is client.get_client(write=True)


def test_take_gives_the_value_once_and_deletes_it() -> None:
    key = _key()
    cache.set(key, {"user": 1}, 30)
    assert cache.take(key) == {"user": 1}  # type: ignore[attr-defined]
    assert cache.take(key) is None  # type: ignore[attr-defined]
    assert cache.get(key) is None


def test_of_many_concurrent_takers_exactly_one_wins() -> None:
    key = _key()
    cache.set(key, 7, 30)
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait(timeout=5)
        results.append(cache.take(key))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results, key=repr) == [7] + [None] * 7


async def test_async_take_and_get_many_read_what_the_sync_api_wrote() -> None:
    one, two, missing = _key(), _key(), _key()
    cache.set(one, 1, 30)  # integers are stored as such, other values pickled
    cache.set(two, {"a": [1, 2]}, 30)
    assert await cache.aget_many([one, two, missing]) == {one: 1, two: {"a": [1, 2]}}
    assert await cache.aget_many([]) == {}
    assert await cache.atake(two) == {"a": [1, 2]}  # type: ignore[attr-defined]
    assert await cache.atake(two) is None  # type: ignore[attr-defined]
    assert cache.get(one) == 1


def test_autobahns_option_log_is_formatted_only_when_written() -> None:
    options = [("autoPingInterval", 0, "Factory"), ("openHandshakeTimeout", 5, "Factory")]
    assert f"{_LazyFormat(options)}" == pprint.pformat(options)


async def test_commands_of_one_loop_iteration_go_out_as_one_pipeline(monkeypatch) -> None:
    import asyncio

    keys = [_key() for _ in range(20)]
    for i, key in enumerate(keys):
        cache.set(key, i, 30)
    backend: Any = cache._connections[cache._alias]  # type: ignore[attr-defined]
    batcher = backend._async_client()
    pipelines = 0
    real = batcher.client.pipeline

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal pipelines
        pipelines += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(batcher.client, "pipeline", counting)
    taken = await asyncio.gather(*(cache.atake(key) for key in keys))  # type: ignore[attr-defined]
    assert taken == list(range(20))
    assert pipelines == 1
    # A command's own error fails only that command.
    cache.set(keys[0], 1, 30)
    results = await asyncio.gather(
        batcher.call("lpush", backend.make_and_validate_key(keys[0]), b"x"),
        cache.aget_many([keys[0]]),
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception)
    assert results[1] == {keys[0]: 1}
