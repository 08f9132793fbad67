"""The socket log: one line when a socket connects, subscribes to a board and closes.

Lines go to the ``corkboard.socket`` logger with the socket's request id: the upgrade's
``X-Request-ID`` (the proxy sets one) when it is well formed, else a new one, so that a
socket's lines join the proxy's access log. Only ids and codes are logged: never a
ticket, token, cookie or query string.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from realtime.auth import Scope, header
from realtime.request_ids import request_id_from

logger = logging.getLogger("corkboard.socket")


@dataclass(frozen=True, slots=True)
class SocketLog:
    """The log lines of one socket."""

    request_id: str
    user_id: int | None

    @classmethod
    def for_socket(cls, scope: Scope, user: Any) -> SocketLog:
        """Return the log of the socket of ``scope``, opened by ``user`` (maybe anonymous)."""
        authenticated = user is not None and user.is_authenticated
        request_id = request_id_from(header(scope, b"x-request-id"))
        return cls(request_id, user.pk if authenticated else None)

    def _info(self, message: str, **extra: object) -> None:
        logger.info(
            message, extra={"request_id": self.request_id, "user_id": self.user_id, **extra}
        )

    def connect(self) -> None:
        """Log that the socket reached the consumer (refused or not: its close says)."""
        self._info("socket connect")

    def subscribe(self, board_id: int) -> None:
        """Log a subscription the user was allowed."""
        self._info("socket subscribe", board_id=board_id)

    def close(self, code: int) -> None:
        """Log the end of the socket with its close code."""
        self._info("socket close", close_code=code)
