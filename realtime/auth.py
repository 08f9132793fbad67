"""Socket authentication: a browser's session cookie behind an exact origin check, or a
single-use ticket for every other client.

A ticket socket never reads cookies, so a page on another site cannot ride a logged-in
browser's session (cross-site websocket hijacking); a cookie socket must come from an
origin that matches scheme, host and port exactly.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from accounts.models import ApiToken
from accounts.tickets import TicketClaim, ticket_claim, ticket_credential_valid
from realtime import outage

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


@database_sync_to_async
def _claim_ticket(ticket: str) -> tuple[Any, TicketClaim | None]:
    """Return the ticket's user and claim, or an anonymous user when it admits nobody."""
    try:
        claim = ticket_claim(ticket)
    except Exception as error:  # the cache (Redis) is down: nobody is admitted
        outage.report("redeeming a socket ticket", error)
        return AnonymousUser(), None
    if claim is None:
        return AnonymousUser(), None
    user = get_user_model().objects.filter(pk=claim.user_id, is_active=True).first()
    return (user, claim) if user is not None else (AnonymousUser(), None)


def credential_alive(scope: Scope) -> bool:
    """Return whether the session or token that opened a socket is still valid.

    Asked once the socket has joined its session/token group: a log-out or revocation
    that happened between authentication and the join published its close to nobody.
    """
    if scope.get("auth") == "session":
        session = scope.get("session")
        key = getattr(session, "session_key", None)
        return bool(key) and session is not None and session.exists(key)
    credential = scope.get("credential") or {}
    user = scope.get("user")
    claim = TicketClaim(
        getattr(user, "pk", 0) or 0, credential.get("token"), credential.get("session")
    )
    try:
        return ticket_credential_valid(claim)
    except Exception as error:  # the cache is down: the DB check of a token still ran
        outage.report("re-checking a socket's credential", error)
        return claim.token_id is None or bool(
            ApiToken.objects.filter(pk=claim.token_id, revoked_at__isnull=True).exists()
        )


class SocketAuthMiddleware:
    """Authenticate a websocket by ticket (``?ticket=``) or by session cookie."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.session_inner = AuthMiddlewareStack(inner)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        if "ticket" in query:
            headers = [(k, v) for k, v in scope.get("headers", []) if k != b"cookie"]
            user, claim = await _claim_ticket(query["ticket"][0])
            scope = {**scope, "headers": headers, "user": user, "auth": "ticket"}
            if claim is not None:
                scope["credential"] = {"token": claim.token_id, "session": claim.session}
            return await self.inner(scope, receive, send)
        if not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.session_inner({**scope, "auth": "session"}, receive, send)
