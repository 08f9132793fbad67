"""The request-id rule, shared by the HTTP log (project) and the socket log (realtime).

A leaf module: it imports nothing of Corkboard's, so settings-time code may import it.
deploy/nginx.conf applies the same rule before it passes a client's id on.
"""

from __future__ import annotations

import re
import uuid

_VALID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def request_id_from(value: str | None) -> str:
    """Return ``value`` if it is a valid id (1-200 of ``A-Za-z0-9._-``), else a new one."""
    if value and _VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex
