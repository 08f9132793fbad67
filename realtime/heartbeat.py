"""Each process's realtime figures, shared through the cache for the admin's status block.

Every few seconds the catch-up sweep (:mod:`realtime.sweep`) of a process that holds
sockets stores that process's :class:`ProcessStats` under its own key, with a TTL of
three sweeps (10 s at least), and adds its id to an index key. The index is a plain
read-modify-write: two processes writing at once may drop one id, which that process's
next heartbeat puts back, and ids whose entry expired are dropped by the next writer.
A process that stops (or closes its last socket) disappears within the TTL.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TypedDict

from django.conf import settings
from django.core.cache import cache

from realtime import metrics

_INDEX_KEY = "realtime:processes"


class ProcessStats(TypedDict):
    process: str  # "<hostname>:<pid>"
    sockets: int
    subscriptions: int
    publish_errors: int
    updated_at: float  # time.time() of the process's last heartbeat


def ttl() -> float:
    """Return how long a heartbeat counts as fresh: three sweeps, at least 10 s."""
    return max(10.0, 3 * settings.REALTIME_SWEEP_SECONDS)


def interval() -> float:
    """Return the least time between two heartbeats of a process (a third of the TTL)."""
    return ttl() / 3


def process_name() -> str:
    """Return this process's id, ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(process: str) -> str:
    return f"realtime:process:{process}"


def write_heartbeat() -> None:
    """Store this process's figures in the cache (called by the sweep loop).

    Blocks on the cache and raises its errors: call it from a thread, and treat a
    failure as an outage to report, never as a reason to stop.
    """
    stats = ProcessStats(
        process=process_name(),
        sockets=metrics.current(metrics.SOCKETS),
        subscriptions=metrics.current(metrics.SUBSCRIPTIONS),
        publish_errors=metrics.current(metrics.PUBLISH_ERRORS),
        updated_at=time.time(),
    )
    timeout = ttl()
    cache.set(_key(stats["process"]), stats, timeout=timeout)
    known = cache.get(_INDEX_KEY) or []
    alive = cache.get_many([_key(process) for process in known])
    index = [process for process in known if _key(process) in alive]
    if stats["process"] not in index:
        index.append(stats["process"])
    cache.set(_INDEX_KEY, index, timeout=timeout)


def read_processes() -> list[ProcessStats]:
    """Return the figures of every process that sent a heartbeat recently, by process id.

    Raises the cache's error when it cannot be read (say "unknown", not "no process").
    """
    known = cache.get(_INDEX_KEY) or []
    entries = cache.get_many([_key(process) for process in known])
    oldest = time.time() - ttl()
    fresh = [stats for stats in entries.values() if stats["updated_at"] >= oldest]
    return sorted(fresh, key=lambda stats: stats["process"])
