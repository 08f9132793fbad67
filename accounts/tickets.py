"""Single-use, short-lived tickets that let non-browser clients open a socket.

A ticket is exchanged for a token-authenticated REST call, so the token itself never
appears in a URL or a log. Only the ticket's digest is kept, in the shared cache, with
the credential it was issued through (a token id, or a session key's digest): redeeming
checks that credential is still valid, so a revoked token's or an ended session's
tickets open nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts import revocations
from accounts.models import ApiToken, User

_KEY = "ws-ticket:{}"


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

    Best effort: with the cache down no ticket can be redeemed anyway. The mark is the
    session's end mark, which also refuses its sockets (:mod:`accounts.revocations`).
    """
    revocations.mark_session_ended(session)


def _usable_token(claim: TicketClaim) -> Q | Exists:
    """Return the condition, on users, that the claim's token (if any) is still usable."""
    if claim.token_id is None:
        return Q()
    return Exists(
        ApiToken.objects.filter(pk=claim.token_id, user_id=OuterRef("pk"), revoked_at=None)
        .filter(Q(expires_at=None) | Q(expires_at__gt=timezone.now()))
        .order_by()
    )


def ticket_user(claim: TicketClaim) -> User | None:
    """Return the claim's user if active and its token still usable, in one query."""
    return User.objects.filter(_usable_token(claim), pk=claim.user_id, is_active=True).first()


def ticket_credential_valid(claim: TicketClaim) -> bool:
    """Return whether the token or session a ticket was issued through is still valid."""
    if claim.token_id is not None:
        token = ApiToken.objects.filter(pk=claim.token_id, user_id=claim.user_id).first()
        if token is None or not token.is_usable():
            return False
    return not (claim.session is not None and revocations.ended(session=claim.session))


def ticket_spend(ticket: str) -> TicketClaim | None:
    """Spend a ticket and return its claim, or ``None`` if unknown, spent, expired or void.

    Only the cache is read: a ticket issued through a session that has ended since is
    void here, but whether its token is still usable is the caller's to check
    (:func:`ticket_user`, or :func:`ticket_claim`).
    """
    if not ticket or len(ticket) > 100:
        return None
    key = _key(ticket)
    value: Any = cache.get(key)
    # Of two concurrent redeemers, only the one whose delete removed the key wins.
    if value is None or not cache.delete(key):
        return None
    if isinstance(value, dict):
        claim = TicketClaim(int(value["user"]), value.get("token"), value.get("session"))
    else:  # issued before tickets recorded their credential
        claim = TicketClaim(int(value))
    if claim.session is not None and revocations.ended(session=claim.session):
        return None
    return claim


def ticket_claim(ticket: str) -> TicketClaim | None:
    """Spend a ticket and return its claim if the credential it came through is valid."""
    claim = ticket_spend(ticket)
    return claim if claim is not None and ticket_credential_valid(claim) else None


def ticket_redeem(ticket: str) -> int | None:
    """Return the ticket's user id and spend it, or ``None`` if unknown, spent or void."""
    claim = ticket_claim(ticket)
    return None if claim is None else claim.user_id
