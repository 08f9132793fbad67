"""The client-to-server socket messages, parsed and validated into typed values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from collab.exceptions import BadRequest

PRESENCE_STATES = ("viewing", "editing")
MAX_DEPTH = 4


@dataclass(frozen=True)
class Subscribe:
    board: int
    since: int | None


@dataclass(frozen=True)
class Unsubscribe:
    board: int


@dataclass(frozen=True)
class Presence:
    board: int
    card: int | None
    state: str


@dataclass(frozen=True)
class Ping:
    pass


ClientMessage = Subscribe | Unsubscribe | Presence | Ping


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _id(message: dict[str, Any], field: str, *, required: bool = True) -> int | None:
    value = message.get(field)
    if value is None and not required:
        return None
    # bool is an int in Python; a board id of `true` is a client bug, not board 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > 2**63 - 1:
        raise BadRequest(f"'{field}' must be a positive integer id.")
    return value


def parse(text: str) -> ClientMessage:
    """Return the typed message for a text frame, or raise BadRequest saying what is wrong."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadRequest("The message is not valid JSON.") from error
    if not isinstance(message, dict):
        raise BadRequest("A message must be a JSON object.")
    if _depth(message) > MAX_DEPTH:
        raise BadRequest("The message is nested too deeply.")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise BadRequest("A message needs a string 'type'.")
    if kind == "ping":
        return Ping()
    if kind == "subscribe":
        since = message.get("since")
        if since is not None and (
            not isinstance(since, int) or isinstance(since, bool) or since < 0
        ):
            raise BadRequest("'since' must be a non-negative integer seq.")
        return Subscribe(board=_id(message, "board") or 0, since=since)
    if kind == "unsubscribe":
        return Unsubscribe(board=_id(message, "board") or 0)
    if kind == "presence":
        state = message.get("state", "viewing")
        if state not in PRESENCE_STATES:
            raise BadRequest(f"'state' must be one of: {', '.join(PRESENCE_STATES)}.")
        return Presence(
            board=_id(message, "board") or 0, card=_id(message, "card", required=False), state=state
        )
    raise BadRequest(f"Unknown message type {kind[:40]!r}.")
