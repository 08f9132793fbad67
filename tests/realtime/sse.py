"""Helpers to read the event stream: in-process on the real ASGI app, and parsing SSE."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from channels.testing import ApplicationCommunicator

from project.asgi import application


@dataclass
class Block:
    """One server-sent-events block: its fields (``comment`` for a ``:`` line)."""

    fields: dict[str, str]

    @property
    def event(self) -> str | None:
        return self.fields.get("event")

    @property
    def id(self) -> int | None:
        return int(self.fields["id"]) if "id" in self.fields else None

    @property
    def data(self) -> Any:
        return json.loads(self.fields["data"])


def parse_blocks(text: str) -> tuple[list[Block], str]:
    """Split complete blocks off ``text``; return them and the incomplete rest."""
    blocks = []
    while "\n\n" in text:
        raw, text = text.split("\n\n", 1)
        fields: dict[str, str] = {}
        for line in raw.split("\n"):
            if line.startswith(":"):
                fields["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        blocks.append(Block(fields))
    return blocks, text


class Ended(Exception):
    """The server ended the response body."""


class Stream:
    """One request to the stream on the in-process app, read block by block."""

    def __init__(self, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "scheme": "http",
            "headers": [
                (b"host", b"testserver"),
                *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.app = ApplicationCommunicator(application, scope)
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.buffer = ""
        self.blocks: list[Block] = []
        self.ended = False

    async def open(self, timeout: float = 5) -> Stream:
        await self.app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await self.app.receive_output(timeout)
        assert start["type"] == "http.response.start", start
        self.status = start["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        return self

    async def json(self, timeout: float = 5) -> Any:
        body = b""
        while True:
            message = await self.app.receive_output(timeout)
            body += message.get("body", b"")
            if not message.get("more_body"):
                self.ended = True
                return json.loads(body)

    async def next(self, timeout: float = 5) -> Block:
        """Return the next block (comments included); raise at the end of the body."""
        while not self.blocks:
            if self.ended:
                raise Ended
            message = await self.app.receive_output(timeout)
            assert message["type"] == "http.response.body", message
            self.buffer += message.get("body", b"").decode()
            self.ended = not message.get("more_body")
            self.blocks, self.buffer = parse_blocks(self.buffer)
        return self.blocks.pop(0)

    async def events(self, count: int, timeout: float = 5) -> list[Block]:
        """Return the next ``count`` blocks that carry an id (events and resyncs)."""
        found: list[Block] = []
        while len(found) < count:
            block = await self.next(timeout)
            if block.id is not None or block.event == "error":
                found.append(block)
        return found

    async def until_end(self, timeout: float = 5) -> list[Block]:
        """Return the blocks until the server ends the body."""
        found: list[Block] = []
        while True:
            try:
                found.append(await self.next(timeout))
            except Ended:
                return found

    async def quiet(self, seconds: float = 0.3) -> None:
        """Assert that nothing but heartbeats arrives for a moment."""
        while not await self.app.receive_nothing(seconds):
            block = await self.next()
            assert "comment" in block.fields, block

    async def close(self) -> None:
        await self.app.send_input({"type": "http.disconnect"})
        await self.app.wait(timeout=5)
