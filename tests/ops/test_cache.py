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
