"""Who is on a board and which card each has open, shared by every server process.

Each socket keeps one entry per board it announced presence on, refreshed by the hub's
one timer per process (:mod:`realtime.hub`) and expiring
after ``PRESENCE_TTL_SECONDS``, so a closed tab or a killed process leaves no ghost.
Entries live in a Redis hash per board when Redis is configured (every process sees
them), in this process's memory otherwise. Presence is never written to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import weakref
from typing import Any, Protocol

from django.conf import settings
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from realtime import outage

Entry = dict[str, Any]

_STATE_RANK = {"editing": 2, "viewing": 1}
# What an unreachable or restarting Redis raises (OSError: refused or reset sockets).
_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


class PresenceStore(Protocol):
    async def put(self, board_id: int, channel: str, entry: Entry) -> None: ...

    async def put_many(self, board_id: int, entries: dict[str, Entry]) -> None: ...

    async def remove(self, board_id: int, channel: str) -> None: ...

    async def entries(self, board_id: int) -> list[Entry]: ...


def _ttl() -> float:
    return float(settings.PRESENCE_TTL_SECONDS)


class MemoryPresence:
    """Presence for a single process (the in-memory channel layer)."""

    def __init__(self) -> None:
        self._boards: dict[int, dict[str, Entry]] = {}

    async def put(self, board_id: int, channel: str, entry: Entry) -> None:
        self._boards.setdefault(board_id, {})[channel] = {**entry, "expires": time.time() + _ttl()}

    async def put_many(self, board_id: int, entries: dict[str, Entry]) -> None:
        for channel, entry in entries.items():
            await self.put(board_id, channel, entry)

    async def remove(self, board_id: int, channel: str) -> None:
        self._boards.get(board_id, {}).pop(channel, None)

    async def entries(self, board_id: int) -> list[Entry]:
        now = time.time()
        board = self._boards.get(board_id, {})
        for channel in [c for c, e in board.items() if e["expires"] <= now]:
            del board[channel]
        return list(board.values())


class RedisPresence:
    """Presence in one Redis hash per board: field = socket channel, value = entry.

    This process's own entries are mirrored in memory: while Redis is unreachable,
    presence degrades to the local sockets (logged once, see :mod:`realtime.outage`)
    instead of failing the socket, and the heartbeat writes them back once it returns.
    """

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.local = MemoryPresence()
        # One client per event loop: a client is bound to the loop that created it.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # Short timeouts and one quick retry (a stale connection after a restart):
            # presence runs on the socket's own task, which must not wait on Redis long.
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=2,
                socket_connect_timeout=2,
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
            )
            self._clients[loop] = client
        return client

    def _key(self, board_id: int) -> str:
        return f"{self.prefix}:presence:{board_id}"

    async def put(self, board_id: int, channel: str, entry: Entry) -> None:
        await self.put_many(board_id, {channel: entry})

    async def put_many(self, board_id: int, entries: dict[str, Entry]) -> None:
        """Write entries of one board in one round trip (the hub's presence beat)."""
        await self.local.put_many(board_id, entries)
        expires = time.time() + _ttl()
        values = {
            channel: json.dumps({**entry, "expires": expires}) for channel, entry in entries.items()
        }
        key = self._key(board_id)
        try:
            async with self._client().pipeline(transaction=False) as pipe:
                pipe.hset(key, mapping=values)  # type: ignore[arg-type]
                pipe.expire(key, int(_ttl() * 2))
                await pipe.execute()
        except _ERRORS as error:
            outage.report("presence (Redis)", error)

    async def remove(self, board_id: int, channel: str) -> None:
        await self.local.remove(board_id, channel)
        try:
            await self._client().hdel(self._key(board_id), channel)
        except _ERRORS as error:
            outage.report("presence (Redis)", error)

    async def entries(self, board_id: int) -> list[Entry]:
        try:
            raw = await self._client().hgetall(self._key(board_id))
        except _ERRORS as error:
            outage.report("presence (Redis)", error)
            return await self.local.entries(board_id)
        now = time.time()
        live: list[Entry] = []
        expired: list[bytes | str] = []
        for channel, value in raw.items():
            entry = json.loads(value)
            if entry["expires"] > now:
                live.append(entry)
            else:
                expired.append(channel)
        if expired:
            with contextlib.suppress(*_ERRORS):
                await self._client().hdel(self._key(board_id), *expired)
        return live


def members(entries: list[Entry]) -> list[Entry]:
    """Return one entry per user (their most active tab), sorted by username."""
    best: dict[int, Entry] = {}
    for entry in entries:
        user_id = entry["user"]["id"]
        rank = (_STATE_RANK.get(entry["state"], 0), entry.get("card") is not None)
        current = best.get(user_id)
        if current is None or rank > (
            _STATE_RANK.get(current["state"], 0),
            current.get("card") is not None,
        ):
            best[user_id] = entry
    return [
        {"user": e["user"], "card": e.get("card"), "state": e["state"]}
        for e in sorted(best.values(), key=lambda e: e["user"]["username"])
    ]


_store: PresenceStore | None = None


def store() -> PresenceStore:
    """Return this process's presence store, Redis-backed when Redis is configured."""
    global _store
    if _store is None:
        if settings.REDIS_URL:
            _store = RedisPresence(settings.REDIS_URL, settings.PRESENCE_PREFIX)
        else:
            _store = MemoryPresence()
    return _store
