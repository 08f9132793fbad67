"""The event stream on real Daphne processes: resuming across a restart misses nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from collab.models import Board
from collab.services.cards import card_create
from tests.factories import make_token
from tests.realtime.sse import Block, parse_blocks
from tests.servers import DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


class Reader:
    """Read one streaming response block by block (``requests``, no client buffering)."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.chunks: Iterator[bytes] = response.iter_content(chunk_size=None)
        self.buffer = ""
        self.blocks: list[Block] = []

    def next(self) -> Block | None:
        """Return the next block, or None once the server ended the body."""
        while not self.blocks:
            chunk = next(self.chunks, None)
            if chunk is None:
                return None
            self.buffer += chunk.decode()
            self.blocks, self.buffer = parse_blocks(self.buffer)
        return self.blocks.pop(0)

    def events(self, count: int) -> list[Block]:
        found: list[Block] = []
        while len(found) < count:
            block = self.next()
            assert block is not None, "the stream ended early"
            if block.id is not None:
                found.append(block)
        return found

    def rest(self) -> list[Block]:
        """Return every block until the end of the body."""
        found: list[Block] = []
        while (block := self.next()) is not None:
            found.append(block)
        return found


def _open(server: DaphneServer, board: Any, headers: dict[str, str], **params: Any) -> Reader:
    response = requests.get(
        f"{server.url}/api/v1/boards/{board.pk}/stream/",
        headers=headers,
        params=params,
        stream=True,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    return Reader(response)


def _cards(team: Any, count: int, prefix: str) -> None:
    for i in range(count):
        card_create(actor=team.owner, column_id=team.todo.pk, title=f"{prefix} {i}")


def test_resume_with_last_event_id_across_a_restart_misses_nothing(team):
    _, plaintext = make_token(team.member, ("read",))
    headers = {"Authorization": f"Bearer {plaintext}"}
    start = Board.objects.get(pk=team.board.pk).seq
    server = DaphneServer(SSE_HEARTBEAT_SECONDS="1")
    try:
        server.start()
        _cards(team, 3, "before")
        stream = _open(server, team.board, headers, since=start)
        seen = [b.id for b in stream.events(3)]
        _cards(team, 2, "live")
        seen += [b.id for b in stream.events(2)]
        assert seen == list(range(start + 1, start + 6))

        # SIGTERM: the stream ends (the client resumes elsewhere), the process exits.
        elapsed = server.terminate(15)
        # At once, not after the grace period: a stream is not an in-flight request.
        assert elapsed is not None and elapsed < 5, server.log()[-3000:]
        print(f"\nSIGTERM exit with an open stream: {elapsed:.2f} s")
        assert all(b.id is None for b in stream.rest())
        last = seen[-1]

        _cards(team, 7, "while down")
        server.start()
        resumed = _open(server, team.board, {**headers, "Last-Event-ID": str(last)})
        replayed = resumed.events(7)
        assert [b.id for b in replayed] == list(range(last + 1, last + 8))
        assert [b.data["data"]["title"] for b in replayed] == [f"while down {i}" for i in range(7)]
        _cards(team, 1, "after")
        (live,) = resumed.events(1)
        assert live.id == last + 8
        # Nothing more: a heartbeat comes, no duplicate.
        block = resumed.next()
        assert block is not None and block.fields == {"comment": "ping"}
        resumed.response.close()
    finally:
        server.close()


def test_refusals_on_daphne_are_json(team):
    server = DaphneServer()
    try:
        server.start()
        url = f"{server.url}/api/v1/boards/{team.board.pk}/stream/"
        response = requests.get(url, timeout=10)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"] == "not_authenticated"
        _, plaintext = make_token(team.outsider, ("read",))
        response = requests.get(url, headers={"Authorization": f"Bearer {plaintext}"}, timeout=10)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
        response = requests.post(url, headers={"Authorization": f"Bearer {plaintext}"}, timeout=10)
        assert (response.status_code, response.json()["error"]) == (405, "method_not_allowed")
        # Every other route is still Django's.
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        started = time.monotonic()
        assert server.terminate(15) is not None
        assert time.monotonic() - started < 10
    finally:
        server.close()
