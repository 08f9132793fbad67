"""Each process's realtime figures, shared through the cache (stub for now)."""

from __future__ import annotations

from typing import TypedDict


class ProcessStats(TypedDict):
    process: str  # "<hostname>:<pid>"
    sockets: int
    subscriptions: int
    publish_errors: int
    updated_at: float  # time.time() of the process's last heartbeat


def write_heartbeat() -> None:
    """Store this process's figures in the cache (called by the sweep loop)."""


def read_processes() -> list[ProcessStats]:
    """Return the figures of every process that sent a heartbeat recently."""
    return []
