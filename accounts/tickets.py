"""Single-use, short-lived tickets that let non-browser clients open a socket.

A ticket is exchanged for a token-authenticated REST call, so the token itself never
appears in a URL or a log. Only the ticket's digest is kept, in the shared cache, with
the credential it was issued through (a token id, or a session key's digest): redeeming
checks that credential is still valid, so a revoked token's or an ended session's
tickets open nothing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from accounts.models import ApiToken

logger = logging.getLogger(__name__)

_KEY = "ws-ticket:{}"
_ENDED_SESSION_KEY = "ws-ticket-session-ended:{}"


@dataclass(frozen=True)
class TicketClaim:
    """Who a redeemed ticket admits, and the credential it was issued through."""

    user_id: int
    token_id: int | None = None
    session: str | None = None  # the session key's digest


def _key(ticket: str) -> str:
    return _KEY.format(hashlib.sha256(ticket.encode()).hexdigest())


def ticket_issue(user_id: int, *, token_id: int | None = None, session: str | None = None) -> str:
    """Return a new ticket for the user, valid once for ``WS_TICKET_TTL_SECONDS``.

    ``token_id`` or ``session`` (a session key's digest) names the credential the ticket
    was issued through; it stops working when that credential ends.
    """
    ticket = secrets.token_urlsafe(32)
    value = {"user": user_id, "token": token_id, "session": session}
    cache.set(_key(ticket), value, timeout=settings.WS_TICKET_TTL_SECONDS)
    return ticket


def tickets_void_session(session: str) -> None:
    """Void every unspent ticket issued through a session (by its key's digest).

    Best effort: with the cache down no ticket can be redeemed anyway.
    """
    try:
        cache.set(_ENDED_SESSION_KEY.format(session), 1, timeout=settings.WS_TICKET_TTL_SECONDS + 5)
    except Exception as error:
        logger.warning("voiding a session's tickets failed: %s", error.__class__.__name__)


def ticket_credential_valid(claim: TicketClaim) -> bool:
    """Return whether the token or session a ticket was issued through is still valid."""
    if claim.token_id is not None:
        token = ApiToken.objects.filter(pk=claim.token_id, user_id=claim.user_id).first()
        if token is None or not token.is_usable():
            return False
    if claim.session is not None and cache.get(_ENDED_SESSION_KEY.format(claim.session)):
        return False
    return True


def ticket_claim(ticket: str) -> TicketClaim | None:
    """Spend a ticket and return its claim, or ``None`` if unknown, spent, expired or void."""
    if not ticket or len(ticket) > 100:
        return None
    key = _key(ticket)
    value = cache.get(key)
    # Of two concurrent redeemers, only the one whose delete removed the key wins.
    if value is None or not cache.delete(key):
        return None
    if isinstance(value, dict):
        claim = TicketClaim(int(value["user"]), value.get("token"), value.get("session"))
    else:  # issued before tickets recorded their credential
        claim = TicketClaim(int(value))
    return claim if ticket_credential_valid(claim) else None


def ticket_redeem(ticket: str) -> int | None:
    """Return the ticket's user id and spend it, or ``None`` if unknown, spent or void."""
    claim = ticket_claim(ticket)
    return None if claim is None else claim.user_id
