"""The y-websocket wire protocol, read strictly: every frame decodes whole or is refused.

A frame is a message type (varuint) and its body. Types: 0 sync (a sync type, then a
varuint-length payload: 0 step 1 with a state vector, 1 step 2 or 2 update with a Yjs
update), 1 awareness (a varuint-length awareness update: a count, then per client its
id, clock and JSON state as a string), 3 query awareness (no body). The server adds two
messages of its own, which stock providers ignore: 100 *hello* (the document's
generation and whether this socket may write) and 101 *saved* (how many of this
socket's update-bearing messages are stored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SYNC = 0
AWARENESS = 1
QUERY_AWARENESS = 3
HELLO = 100
SAVED = 101
STEP1 = 0
STEP2 = 1
UPDATE = 2
# Yjs ids and clocks are 53-bit integers; a longer varuint is not one of theirs.
_MAX_VARUINT_BYTES = 8


class BadFrame(ValueError):
    """A frame that is not a y-websocket message (truncated, garbage, trailing bytes)."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varuint(self) -> int:
        value = shift = 0
        for _ in range(_MAX_VARUINT_BYTES):
            if self.pos >= len(self.data):
                raise BadFrame("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise BadFrame("varint too long")

    def bytes(self) -> bytes:
        length = self.varuint()
        if length > len(self.data) - self.pos:
            raise BadFrame("truncated payload")
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk

    def string(self) -> str:
        try:
            return self.bytes().decode()
        except UnicodeDecodeError:
            raise BadFrame("a string is not UTF-8") from None

    def end(self) -> None:
        if self.pos != len(self.data):
            raise BadFrame("trailing bytes after the message")


def varuint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bytes(value: bytes) -> bytes:
    return varuint(len(value)) + value


@dataclass(frozen=True)
class Sync:
    step: int  # STEP1, STEP2 or UPDATE
    payload: bytes


@dataclass(frozen=True)
class AwarenessEntry:
    client: int
    clock: int
    state: Any  # the decoded JSON state; None when the client left


@dataclass(frozen=True)
class Awareness:
    entries: list[AwarenessEntry]


@dataclass(frozen=True)
class QueryAwareness:
    pass


Message = Sync | Awareness | QueryAwareness


def parse(frame: bytes) -> Message:
    """Decode one client frame; raise :class:`BadFrame` for anything else."""
    reader = _Reader(frame)
    kind = reader.varuint()
    message: Message
    if kind == SYNC:
        step = reader.varuint()
        if step not in (STEP1, STEP2, UPDATE):
            raise BadFrame(f"unknown sync step {step}")
        message = Sync(step, reader.bytes())
    elif kind == AWARENESS:
        message = Awareness(parse_awareness(reader.bytes()))
    elif kind == QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise BadFrame(f"unknown message type {kind}")
    reader.end()
    return message


def parse_awareness(update: bytes) -> list[AwarenessEntry]:
    reader = _Reader(update)
    entries = []
    for _ in range(reader.varuint()):
        client, clock = reader.varuint(), reader.varuint()
        try:
            state = json.loads(reader.string())
        except json.JSONDecodeError:
            raise BadFrame("an awareness state is not JSON") from None
        entries.append(AwarenessEntry(client, clock, state))
    reader.end()
    return entries


def sync(step: int, payload: bytes) -> bytes:
    return varuint(SYNC) + varuint(step) + _bytes(payload)


def awareness_update(entries: list[AwarenessEntry]) -> bytes:
    """Return an awareness update (the body of an awareness message)."""
    body = varuint(len(entries))
    for entry in entries:
        state = json.dumps(entry.state, separators=(",", ":"))
        body += varuint(entry.client) + varuint(entry.clock) + _bytes(state.encode())
    return body


def awareness(entries: list[AwarenessEntry]) -> bytes:
    return varuint(AWARENESS) + _bytes(awareness_update(entries))


def hello(generation: str, writable: bool) -> bytes:
    return varuint(HELLO) + _bytes(generation.encode()) + varuint(int(writable))


def saved(count: int) -> bytes:
    return varuint(SAVED) + varuint(count)
