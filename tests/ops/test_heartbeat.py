"""Process heartbeats in the cache: written, read back fresh, expired, and outage-proof.

On the test run's real Redis cache; a second or a stale process is simulated by
writing under another process id, or by reading from the future.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.core.cache import cache

from realtime import heartbeat, outage, sweep
from tests.servers import free_port

INDEX = "realtime:processes"


def _as(monkeypatch: pytest.MonkeyPatch, process: str) -> None:
    monkeypatch.setattr(heartbeat, "process_name", lambda: process)


def _processes() -> list[str]:
    return [stats["process"] for stats in heartbeat.read_processes()]


def test_a_heartbeat_is_read_back_with_this_process_figures():
    heartbeat.write_heartbeat()
    (stats,) = heartbeat.read_processes()
    assert stats["process"] == heartbeat.process_name()
    assert stats["process"].endswith(f":{os.getpid()}")
    assert {"sockets", "subscriptions", "publish_errors"} <= stats.keys()
    assert all(isinstance(stats[key], int) for key in ("sockets", "subscriptions"))
    assert abs(stats["updated_at"] - time.time()) < 5


def test_the_ttl_is_three_sweeps_and_at_least_ten_seconds(settings):
    settings.REALTIME_SWEEP_SECONDS = 2.0
    assert heartbeat.ttl() == 10.0
    settings.REALTIME_SWEEP_SECONDS = 5.0
    assert heartbeat.ttl() == 15.0
    assert heartbeat.interval() == 5.0


def test_entries_expire_in_the_cache_and_stale_ones_are_not_read(settings, monkeypatch):
    _as(monkeypatch, "web-1:11")
    heartbeat.write_heartbeat()
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for key in ("realtime:process:web-1:11", INDEX):
        assert 0 < client.ttl(cache.make_key(key)) <= 10
    assert _processes() == ["web-1:11"]
    later = time.time() + heartbeat.ttl() + 1
    monkeypatch.setattr(heartbeat.time, "time", lambda: later)
    assert _processes() == []


def test_every_process_is_listed_and_the_index_heals(monkeypatch):
    for process in ("web-1:11", "web-2:22"):
        _as(monkeypatch, process)
        heartbeat.write_heartbeat()
    assert _processes() == ["web-1:11", "web-2:22"]

    cache.delete("realtime:process:web-1:11")  # expired: the next writer drops it
    heartbeat.write_heartbeat()
    assert cache.get(INDEX) == ["web-2:22"]

    cache.delete(INDEX)  # lost (two writers raced, or evicted): each one re-adds itself
    assert _processes() == []
    for process in ("web-1:11", "web-2:22"):
        _as(monkeypatch, process)
        heartbeat.write_heartbeat()
    assert _processes() == ["web-1:11", "web-2:22"]


class _Follower:
    """A socket as the sweep sees it, counting the sweeps that reached it."""

    def __init__(self) -> None:
        self.sweeps = 0

    def lagging(self, heads: dict[int, int]) -> tuple[list[tuple[int, int]], bool]:
        return [], True

    async def catch_up(self, board_id: int, head: int) -> None:
        return None

    def subscribed_boards(self) -> list[int]:
        self.sweeps += 1
        return []


async def _until(condition: Callable[[], Any], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_sweep_writes_the_heartbeat_of_this_process(settings):
    settings.REALTIME_SWEEP_SECONDS = 0.02
    follower = _Follower()
    assert sweep.register(follower)
    try:
        await _until(lambda: heartbeat.process_name() in _processes())
        (stats,) = await asyncio.to_thread(heartbeat.read_processes)
        assert stats["sockets"] >= 1
    finally:
        sweep.unregister(follower)


async def test_a_cache_outage_is_logged_once_and_never_stops_the_sweep(
    settings, monkeypatch, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "project.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with pytest.raises(redis.exceptions.ConnectionError):
        heartbeat.write_heartbeat()
    settings.REALTIME_SWEEP_SECONDS = 0.02
    monkeypatch.setattr(heartbeat, "interval", lambda: 0.0)  # a heartbeat every sweep
    monkeypatch.setattr(outage, "_last", {})
    caplog.set_level(logging.WARNING, logger="realtime.outage")
    follower = _Follower()
    assert sweep.register(follower)
    try:
        await _until(lambda: follower.sweeps >= 5)
    finally:
        sweep.unregister(follower)
    failures = [r.getMessage() for r in caplog.records if r.name == "realtime.outage"]
    assert len(failures) == 1 and failures[0].startswith("the process heartbeat failed")
