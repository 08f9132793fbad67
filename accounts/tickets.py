"""Single-use, short-lived tickets that let non-browser clients open a socket.

A ticket is exchanged for a token-authenticated REST call, so the token itself never
appears in a URL or a log. Only the ticket's digest is kept, in the shared cache, with
the credential it was issued through (a token id, or a session key's digest): redeeming
checks that credential is still valid, so a revoked token's or an ended session's
tickets open nothing.

A ticket issued by a request that has just read its user and credential from the
database (``POST auth/ws-ticket/``) also carries what it read and when
(:class:`Admission`): a socket that redeems it within the marks' trust window
(:data:`accounts.revocations.TRUST_SECONDS`) is admitted without reading the database
again, since every suspension, revocation and log-out since then left a mark that the
socket reads once it has joined its groups.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts import revocations
from accounts.models import ApiToken, User

_KEY = "ws-ticket:{}"
# The user fields an admission carries: what a socket reads of its user.
_ADMITTED_FIELDS = ("username", "is_staff", "is_superuser")


@dataclass(frozen=True)
class Admission:
    """What the issuing request read from the database: the user, its token's expiry, when."""

    username: str
    is_staff: bool
    is_superuser: bool
    checked_at: float  # time.time() of the read
    token_expires_at: float | None = None  # time.time() terms; None: never expires

    def age(self) -> float:
        return time.time() - self.checked_at


@dataclass(frozen=True)
class TicketClaim:
    """Who a redeemed ticket admits, and the credential it was issued through."""

    user_id: int
    token_id: int | None = None
    session: str | None = None  # the session key's digest
    admission: Admission | None = None


def _key(ticket: str) -> str:
    return _KEY.format(hashlib.sha256(ticket.encode()).hexdigest())


def ticket_issue(
    user_id: int,
    *,
    token_id: int | None = None,
    session: str | None = None,
    user: User | None = None,
    token_expires_at: datetime | None = None,
) -> str:
    """Return a new ticket for the user, valid once for ``WS_TICKET_TTL_SECONDS``.

    ``token_id`` or ``session`` (a session key's digest) names the credential the ticket
    was issued through; it stops working when that credential ends. ``user`` is the
    user as the caller has just authenticated it from the database, with that
    credential (and ``token_expires_at`` the token's expiry): the ticket then carries
    an :class:`Admission`.
    """
    ticket = secrets.token_urlsafe(32)
    value: dict[str, Any] = {"user": user_id, "token": token_id, "session": session}
    if user is not None and user.pk == user_id and user.is_active:
        value["admitted"] = {
            **{name: getattr(user, name) for name in _ADMITTED_FIELDS},
            "checked_at": time.time(),
            "token_expires_at": token_expires_at.timestamp() if token_expires_at else None,
        }
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


def admitted_user(claim: TicketClaim, trust_seconds: float) -> User | None:
    """Return the claim's user as its issuer read it, without a query, if still trusted.

    ``None`` (read the database instead) without an admission, past ``trust_seconds``
    after the issuer's read, or with the token expired since. The user comes from
    :meth:`Model.from_db` with the admitted fields: any other field is read from the
    database on first use, as a deferred field is.
    """
    admission = claim.admission
    if admission is None or not 0 <= admission.age() <= trust_seconds:
        return None
    if admission.token_expires_at is not None and admission.token_expires_at <= time.time():
        return None
    known = {"id": claim.user_id, "is_active": True}
    known.update((name, getattr(admission, name)) for name in _ADMITTED_FIELDS)
    names = _admitted_attnames()
    return User.from_db("default", names, [known[name] for name in names])


@functools.cache
def _admitted_attnames() -> list[str]:
    """The fields an admitted user is built with, in the model's order (as from_db wants)."""
    wanted = {"id", "is_active", *_ADMITTED_FIELDS}
    return [f.attname for f in User._meta.concrete_fields if f.attname in wanted]


def ticket_credential_valid(claim: TicketClaim) -> bool:
    """Return whether the token or session a ticket was issued through is still valid."""
    if claim.token_id is not None:
        token = ApiToken.objects.filter(pk=claim.token_id, user_id=claim.user_id).first()
        if token is None or not token.is_usable():
            return False
    return not (claim.session is not None and revocations.ended(session=claim.session))


def _take(key: str) -> Any:
    """Read and delete a key: atomically where the cache can (``take``, Redis GETDEL)."""
    take = getattr(cache, "take", None)
    if take is not None:
        return take(key)
    value = cache.get(key)
    # Of two concurrent redeemers, only the one whose delete removed the key wins.
    return value if value is not None and cache.delete(key) else None


def _plausible(ticket: str) -> bool:
    return bool(ticket) and len(ticket) <= 100


def _parse(value: Any) -> TicketClaim:
    if isinstance(value, dict):
        admitted = value.get("admitted")
        admission = Admission(**admitted) if isinstance(admitted, dict) else None
        return TicketClaim(int(value["user"]), value.get("token"), value.get("session"), admission)
    return TicketClaim(int(value))  # issued before tickets recorded their credential


def ticket_spend(ticket: str) -> TicketClaim | None:
    """Spend a ticket and return its claim, or ``None`` if unknown, spent, expired or void.

    Only the cache is read: a ticket issued through a session that has ended since is
    void here, but whether its token is still usable is the caller's to check
    (:func:`ticket_user`, or :func:`ticket_claim`).
    """
    if not _plausible(ticket):
        return None
    value: Any = _take(_key(ticket))
    if value is None:
        return None
    claim = _parse(value)
    if claim.session is not None and revocations.ended(session=claim.session):
        return None
    return claim


async def ticket_spend_async(ticket: str) -> TicketClaim | None:
    """Spend a ticket on the event loop: one round trip with Redis (``atake``).

    Unlike :func:`ticket_spend`, the session's end mark is not read: the socket reads
    it with its other marks once it has joined its groups
    (``realtime.auth.credential_alive``).
    """
    if not _plausible(ticket):
        return None
    take = getattr(cache, "atake", None)
    key = _key(ticket)
    value: Any = await take(key) if take is not None else _take(key)
    return None if value is None else _parse(value)


def ticket_claim(ticket: str) -> TicketClaim | None:
    """Spend a ticket and return its claim if the credential it came through is valid."""
    claim = ticket_spend(ticket)
    return claim if claim is not None and ticket_credential_valid(claim) else None


def ticket_redeem(ticket: str) -> int | None:
    """Return the ticket's user id and spend it, or ``None`` if unknown, spent or void."""
    claim = ticket_claim(ticket)
    return None if claim is None else claim.user_id
