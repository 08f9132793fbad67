"""What the topology logged: nginx's access log, and the app processes' JSON logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import AppServer


@dataclass(frozen=True)
class Entry:
    """One line of the access log (log_format ``corkboard``)."""

    path: str
    status: int
    request_id: str
    upstreams: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> Entry:
        fields: dict[str, Any] = json.loads(line)
        upstream = fields["upstream"]
        tried = () if upstream in ("", "-") else tuple(a.strip() for a in upstream.split(","))
        return cls(fields["path"], fields["status"], fields["request_id"], tried)

    @property
    def served_by(self) -> str | None:
        """Return the address of the process that answered, ``None`` if nginx did."""
        return self.upstreams[-1] if self.upstreams else None


class AccessLog:
    """Read nginx's access log (a line is written when a request or socket ends)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[Entry]:
        if not self.path.exists():
            return []
        return [Entry.parse(line) for line in self.path.read_text().splitlines() if line]

    def by_request_id(self) -> dict[str, Entry]:
        return {entry.request_id: entry for entry in self.entries()}


def app_log(web: AppServer) -> list[dict[str, Any]]:
    """Return the JSON records the process has logged so far (other lines are the server's own)."""
    return [json.loads(line) for line in web.log().splitlines() if line.startswith("{")]


def subscribed_sockets(web: AppServer, user_id: int) -> int:
    """Return how many of the user's sockets are subscribed on the process (socket log)."""
    subscribed, closed = set(), set()
    for record in app_log(web):
        if record.get("logger") == "corkboard.socket" and record["user_id"] == user_id:
            if record["message"] == "socket subscribe":
                subscribed.add(record["request_id"])
            elif record["message"] == "socket close":
                closed.add(record["request_id"])
    return len(subscribed - closed)
