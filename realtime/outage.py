"""Log a dependency outage once, not once per message.

A Redis hiccup under a thousand sockets would otherwise log a thousand tracebacks.
Each kind of failure (``what``) is logged as one line at most every
``_INTERVAL_SECONDS``; the feature degrades (presence, live delivery) and recovers by
itself (heartbeat, sweep, seq).
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger("realtime.outage")

_INTERVAL_SECONDS = 10.0
_last: dict[str, float] = {}


def report(what: str, error: BaseException) -> None:
    """Log that ``what`` failed, unless it was logged in the last few seconds."""
    now = time.monotonic()
    if now - _last.get(what, -_INTERVAL_SECONDS) >= _INTERVAL_SECONDS:
        _last[what] = now
        logger.warning("%s failed (%s: %s); degraded", what, error.__class__.__name__, error)
