"""Clients of the topology tests, all through nginx: socket followers and a REST writer.

A :class:`Follower` follows one board as the browser app does: a ticket per connection,
``subscribe`` with the last seq it has, reconnect at once after 1012 and after the app's
shortest backoff otherwise. It keeps every seq it receives (so a gap or a duplicate
shows) and the request id of each connection (nginx's access log names the process that
served it). Followers run on an event loop of their own thread, since Playwright's sync
API holds the test thread's loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
import websockets

from collab.models import Board
from tests.e2e.database import in_thread
from tests.factories import make_token

T = TypeVar("T")

SERVICE_RESTART = 1012
# The browser app's first reconnect delay after a dropped socket is 0.5-1 s.
BACKOFF_SECONDS = 0.5


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a thread of its own (Playwright holds this one's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` until it holds; return the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def bearer(user: Any) -> dict[str, str]:
    """Return the Authorization header of a new personal token of ``user``."""
    _, plaintext = in_thread(make_token, user, name="topology script")
    return {"Authorization": f"Bearer {plaintext}"}


def head_seq(board_id: int) -> int:
    """Return the board's last seq: how many events it has ever had."""
    return in_thread(lambda: Board.objects.get(pk=board_id).seq)


@dataclass
class Connection:
    """One socket of a follower: its request id, when it was caught up and closed (monotonic)."""

    request_id: str
    caught_up_at: float | None = None
    close_code: int | None = None
    closed_at: float | None = None


@dataclass
class Follower:
    """One board's live events over ``/ws/``, reconnecting with ``since`` like the app."""

    base: str
    headers: dict[str, str]
    board: int
    seqs: list[int] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    @property
    def current(self) -> Connection | None:
        return self.connections[-1] if self.connections else None

    def recoveries(self) -> list[float]:
        """Return, for each dropped socket, the seconds until the next one was caught up."""
        pairs = zip(self.connections, self.connections[1:], strict=False)
        return [b.caught_up_at - a.closed_at for a, b in pairs if b.caught_up_at and a.closed_at]

    def live(self) -> bool:
        """Return whether the current socket is subscribed and caught up."""
        current = self.current
        return current is not None and current.caught_up_at is not None and not current.close_code

    async def run(self, ticket: str | None) -> None:
        """Follow the board until cancelled, the first time with ``ticket``."""
        while True:
            code = await self._connect_once(ticket or await self.ticket())
            ticket = None
            await asyncio.sleep(0 if code == SERVICE_RESTART else BACKOFF_SECONDS)

    async def ticket(self) -> str | None:
        """Return a single-use socket ticket, ``None`` if none could be had."""
        try:
            response = await asyncio.to_thread(
                requests.post,
                f"{self.base}/api/v1/auth/ws-ticket/",
                headers=self.headers,
                timeout=5,
            )
        except requests.RequestException:
            return None
        return str(response.json()["ticket"]) if response.status_code == 200 else None

    async def _connect_once(self, ticket: str | None) -> int | None:
        if ticket is None:
            return None
        connection = Connection(uuid.uuid4().hex)
        url = self.base.replace("http://", "ws://") + f"/ws/?ticket={ticket}"
        try:
            async with websockets.connect(
                url, additional_headers={"X-Request-ID": connection.request_id}, open_timeout=5
            ) as socket:
                self.connections.append(connection)
                since = self.last_seq
                await socket.send(
                    json.dumps({"type": "subscribe", "board": self.board, "since": since})
                )
                head: int | None = None
                async for raw in socket:
                    message = json.loads(raw)
                    if message["type"] == "event":
                        self.seqs.append(message["seq"])
                    elif message["type"] == "subscribed":
                        head = message["seq"]
                    elif message["type"] != "presence":
                        self.others.append(message)
                    if (
                        head is not None
                        and connection.caught_up_at is None
                        and self.last_seq >= head
                    ):
                        connection.caught_up_at = time.monotonic()
            connection.close_code = socket.close_code
        except websockets.ConnectionClosed as closed:
            connection.close_code = closed.rcvd.code if closed.rcvd is not None else 1006
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            connection.close_code = 1006
        connection.closed_at = time.monotonic()
        return connection.close_code


class Followers:
    """``count`` followers of a board, run on a loop in a thread of their own."""

    def __init__(self, base: str, headers: dict[str, str], board: int, count: int) -> None:
        self.all = [Follower(base, headers, board) for _ in range(count)]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: list[Future[None]] = []

    def start(self, timeout: float = 10) -> None:
        """Start following; return once every follower is live.

        Every ticket is fetched before any socket opens, so that nginx's round robin
        spreads the sockets themselves evenly over the processes.
        """
        self._thread.start()

        async def tickets() -> list[str | None]:
            return list(await asyncio.gather(*(f.ticket() for f in self.all)))

        first = asyncio.run_coroutine_threadsafe(tickets(), self._loop).result(timeout)
        self._tasks = [
            asyncio.run_coroutine_threadsafe(f.run(t), self._loop)
            for f, t in zip(self.all, first, strict=True)
        ]
        wait_for(self.all_live, timeout, "every follower to be live")

    def all_live(self) -> bool:
        return all(follower.live() for follower in self.all)

    def all_at(self, seq: int) -> bool:
        return all(follower.last_seq >= seq for follower in self.all)

    def stop(self) -> None:
        """Cancel every follower (their sockets close) and stop the loop."""
        for task in self._tasks:
            task.cancel()

        async def settle() -> None:
            await asyncio.sleep(0.1)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(settle(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop.close()


class Writer:
    """A script creating cards through nginx in a thread, one every ``PAUSE`` or slower.

    ``created`` holds the cards answered 201; ``failures`` every other outcome (status
    or error name), each a write whose result the script cannot know.
    """

    # About ten writes a second: steady traffic that leaves the processes (one thread
    # for all their database work each) room to take over the other's sockets.
    PAUSE = 0.1

    def __init__(self, base: str, headers: dict[str, str], columns: list[int]) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.columns = columns
        self.created: list[dict[str, Any]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            body: dict[str, Any] = {"column": self.columns[n % len(self.columns)], "title": f"w{n}"}
            try:
                response = self.session.post(f"{self.base}/api/v1/cards/", json=body, timeout=10)
            except requests.RequestException as error:
                self.failures.append(type(error).__name__)
            else:
                if response.status_code == 201:
                    self.created.append(response.json())
                else:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
            self._stop.wait(self.PAUSE)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)

    def wait_writes(self, count: int, timeout: float = 10) -> None:
        """Wait until ``count`` more writes have been answered."""
        target = len(self.created) + count
        wait_for(lambda: len(self.created) >= target, timeout, f"{count} more writes")


def finish(writer: Writer, followers: Followers, board_id: int) -> int:
    """Stop writing, wait until every follower has the board's head, stop them; return it."""
    writer.stop()
    head = head_seq(board_id)
    wait_for(lambda: followers.all_at(head), 5, "every event on every socket")
    followers.stop()
    return head


def assert_every_seq_once(followers: Followers, head: int) -> None:
    """Assert that each follower saw seqs 1..``head`` exactly once, and nothing else."""
    for follower in followers.all:
        assert follower.seqs == list(range(1, head + 1)), "a gap or a duplicate"
        assert follower.others == []
