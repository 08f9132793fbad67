"""Single-use, short-lived tickets that let non-browser clients open a socket.

A ticket is exchanged for a token-authenticated REST call, so the token itself never
appears in a URL or a log. Only the ticket's digest is kept, in the shared cache.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache

_KEY = "ws-ticket:{}"


def _key(ticket: str) -> str:
    return _KEY.format(hashlib.sha256(ticket.encode()).hexdigest())


def ticket_issue(user_id: int) -> str:
    """Return a new ticket for the user, valid once for ``WS_TICKET_TTL_SECONDS``."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), user_id, timeout=settings.WS_TICKET_TTL_SECONDS)
    return ticket


def ticket_redeem(ticket: str) -> int | None:
    """Return the ticket's user id and spend it, or ``None`` if unknown, spent or expired."""
    if not ticket or len(ticket) > 100:
        return None
    key = _key(ticket)
    user_id = cache.get(key)
    # Of two concurrent redeemers, only the one whose delete removed the key wins.
    if user_id is None or not cache.delete(key):
        return None
    return int(user_id)
