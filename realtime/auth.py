"""Socket authentication: a browser's session cookie behind an exact origin check, or a
single-use ticket for every other client.

A ticket socket never reads cookies, so a page on another site cannot ride a logged-in
browser's session (cross-site websocket hijacking); a cookie socket must come from an
origin that matches scheme, host and port exactly.
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

from accounts import revocations
from accounts.models import TokenScope
from accounts.tickets import TicketClaim, admitted_user, ticket_spend_async, ticket_user
from collab.exceptions import Forbidden, NotAuthenticated
from collab.services.tokens import token_authenticate
from realtime import outage
from realtime.db import db_read
from realtime.groups import session_group, token_group, user_group
from realtime.publish import session_digest

if TYPE_CHECKING:
    from realtime.hub import Hub

Scope = dict[str, Any]


def header(scope: Scope, name: bytes) -> str | None:
    """Return the first value of a request header of the socket's upgrade (lowercase name)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _normalise(origin: str) -> str | None:
    """Return ``scheme://host:port`` with the default port made explicit."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def _request_scheme(scope: Scope) -> str:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy and header(scope, b"x-forwarded-proto") == "https":
        return "https"
    return "https" if scope.get("scheme") == "wss" else "http"


def origin_allowed(scope: Scope) -> bool:
    """Return whether a cookie socket's Origin is this site or a trusted origin, exactly."""
    origin = header(scope, b"origin")
    if not origin:
        return False
    normalised = _normalise(origin)
    if normalised is None:
        return False
    trusted = {_normalise(o) for o in settings.CSRF_TRUSTED_ORIGINS}
    if normalised in trusted:
        return True
    host = header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return normalised == _normalise(f"{_request_scheme(scope)}://{host}")


# When the socket's credential was last read from the database (time.monotonic()).
CHECKED_AT = "credential_checked_at"


def _session_store(scope: Scope) -> SessionBase:
    """Return the session named by the socket's cookie (not loaded yet: no query)."""
    cookies = parse_cookie(header(scope, b"cookie") or "")
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(cookies.get(settings.SESSION_COOKIE_NAME))
    return store


def _hash_verified(session: SessionBase, user: Any) -> bool:
    """Return whether the session was made for the user's current password.

    As ``django.contrib.auth.get_user`` checks it (fallback secret keys included),
    without its writes: a socket has no response to carry a cycled session key, and
    an outdated session is flushed by the next HTTP request anyway.
    """
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    fallbacks = user.get_session_auth_fallback_hash()
    return any(constant_time_compare(session_hash, fallback) for fallback in fallbacks)


def session_user(session: SessionBase) -> tuple[Any, float]:
    """Return the session's active user (or an anonymous one) and when it was read.

    Two queries: the session row (an unexpired one), and the user row, which the
    model backend refuses when inactive (suspended).
    """
    checked_at = time.monotonic()
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser(), checked_at
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser(), checked_at
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not _hash_verified(session, user):
        return AnonymousUser(), checked_at
    return user, checked_at


async def ticket_socket_user(ticket: str) -> tuple[Any, TicketClaim | None, float]:
    """Spend a ticket; return its user and claim, or an anonymous user, and when read.

    The ticket is taken from the cache on the event loop. A ticket whose issuer read
    the user and token from the database less than ``revocations.TRUST_SECONDS`` ago
    admits its user with no query (its read is the socket's: :func:`credential_alive`
    reads the marks of whatever ended since); otherwise one query on the pool reads the
    user, active, and the token the ticket came through, usable. The claim is ``None``
    when it admits nobody.
    """
    checked_at = time.monotonic()
    try:
        claim = await ticket_spend_async(ticket)
    except Exception as error:  # the cache (Redis) is down: nobody is admitted
        outage.report("redeeming a socket ticket", error)
        return AnonymousUser(), None, checked_at
    if claim is None:
        return AnonymousUser(), None, checked_at
    user = admitted_user(claim, revocations.TRUST_SECONDS)
    if user is not None and claim.admission is not None:
        return user, claim, checked_at - claim.admission.age()
    user = await db_read(ticket_user)(claim)
    if user is None:
        return AnonymousUser(), None, checked_at
    return user, claim, checked_at


def _session_digest(scope: Scope) -> str | None:
    """Return the digest of the session a socket came through (either kind of socket)."""
    if scope.get("auth") == "session":
        key = getattr(scope.get("session"), "session_key", None)
        return session_digest(key) if key else None
    session: str | None = (scope.get("credential") or {}).get("session")
    return session


def _alive_in_database(scope: Scope, user: Any) -> bool:
    """Return whether the socket's session (or token) and user are still valid.

    Asked of the database, when the marks cannot be read or the socket's check is too
    old for them: two queries for a session socket, one for a ticket socket.
    """
    if scope.get("auth") == "session":
        session = scope.get("session")
        key = getattr(session, "session_key", None)
        if not key or session is None or not session.exists(key):
            return False
        return bool(get_user_model().objects.filter(pk=user.pk, is_active=True).exists())
    credential = scope.get("credential") or {}
    claim = TicketClaim(user.pk, credential.get("token"), credential.get("session"))
    return ticket_user(claim) is not None


async def credential_alive(scope: Scope) -> bool:
    """Return whether the session or token that opened a socket is still valid.

    Asked once the socket has joined its user, session and token groups: a log-out,
    revocation or suspension that happened between authentication and the join
    published its close to nobody. Each of those leaves a mark in the cache before it
    publishes (:mod:`accounts.revocations`), so this reads the marks, in one cache round
    trip on the event loop and no query, while the socket's database check is recent;
    otherwise, or with the cache down, it asks the database again (on the pool).
    """
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    checked_at = scope.get(CHECKED_AT)
    if checked_at is not None and time.monotonic() - checked_at <= revocations.TRUST_SECONDS:
        credential = scope.get("credential") or {}
        try:
            return not await revocations.ended_async(
                session=_session_digest(scope), token=credential.get("token"), user=user.pk
            )
        except Exception as error:  # the cache is down: ask the database
            outage.report("re-checking a socket's credential", error)
    alive: bool = await db_read(_alive_in_database)(scope, user)
    return alive


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


def _bearer(scope: Scope) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, or None without one."""
    parts = (header(scope, b"authorization") or "").split()
    if not parts or parts[0].lower() != "bearer":
        return None
    if len(parts) != 2:
        raise NotAuthenticated("Invalid Authorization header: use 'Bearer <token>'.")
    return parts[1]


def stream_user(scope: Scope) -> Scope:
    """Authenticate an HTTP request by bearer token or session cookie, as the REST API does.

    Return the scope with ``user``, ``auth`` and ``credential`` set as a socket's are,
    so :func:`credential_alive` and :func:`control_groups` apply to it. Raise
    :class:`NotAuthenticated` or, for a token without the ``read`` scope,
    :class:`InsufficientScope`.
    """
    checked_at = time.monotonic()
    plaintext = _bearer(scope)
    if plaintext is not None:
        token = token_authenticate(plaintext)
        if not token.has_scope(TokenScope.READ):
            raise InsufficientScope("This token lacks the 'read' scope.")
        credential = {"token": token.pk, "session": None}
        return {
            **scope,
            "user": token.user,
            "auth": "token",
            "credential": credential,
            CHECKED_AT: checked_at,
        }
    session = _session_store(scope)
    user, checked_at = session_user(session)
    if not user.is_authenticated:
        raise NotAuthenticated("Authentication credentials were not provided.")
    return {**scope, "user": user, "auth": "session", "session": session, CHECKED_AT: checked_at}


def control_groups(scope: Scope) -> list[str]:
    """Return the groups whose messages end a connection: its user, session or token."""
    groups = [user_group(scope["user"].pk)]
    if scope.get("auth") == "session":
        session_key = getattr(scope.get("session"), "session_key", None)
        if session_key:
            groups.append(session_group(session_digest(session_key)))
    credential = scope.get("credential") or {}
    if credential.get("session"):
        groups.append(session_group(credential["session"]))
    if credential.get("token"):
        groups.append(token_group(credential["token"]))
    return groups


def refused_at_join(scope: Scope) -> int:
    """Return the close code of a socket whose credential ended before it joined its groups.

    A ticket socket's ticket was void by then, as a spent one is (4401): a ticket with
    an admission learns of a revocation, a suspension or a log-out only here. A cookie
    socket's session has ended (4410).
    """
    return 4401 if scope.get("auth") == "ticket" else 4410


async def join_control_groups(hub: Hub, member: Any, scope: Scope) -> list[str] | None:
    """Join a connection (socket or stream) to its control groups; return them.

    ``None``, with nothing joined, if its credential ended before the join
    (:func:`credential_alive`). The hub calls ``member.control(kind)`` on a
    suspension, a log-out or a revocation.
    """
    groups = control_groups(scope)
    for group in groups:
        await hub.join(group, member)
    if await credential_alive(scope):
        return groups
    for group in groups:
        hub.leave(group, member)
    return None


class SocketAuthMiddleware:
    """Authenticate a websocket by ticket (``?ticket=``) or by session cookie.

    The database work runs on :func:`realtime.db.db_read`'s pool: two queries for a
    cookie socket (session, user), one for a ticket socket (user with token) or none
    for a ticket that carries a recent admission, besides the cache (on the event
    loop); :func:`credential_alive` adds none while the cache answers.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        if "ticket" in query:
            headers = [(k, v) for k, v in scope.get("headers", []) if k != b"cookie"]
            user, claim, checked_at = await ticket_socket_user(query["ticket"][0])
            scope = {**scope, "headers": headers, "user": user, "auth": "ticket"}
            scope[CHECKED_AT] = checked_at
            if claim is not None:
                scope["credential"] = {"token": claim.token_id, "session": claim.session}
            return await self.inner(scope, receive, send)
        if not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        session = _session_store(scope)
        user, checked_at = await db_read(session_user)(session)
        scope = {**scope, "auth": "session", "session": session, "user": user}
        scope[CHECKED_AT] = checked_at
        return await self.inner(scope, receive, send)
