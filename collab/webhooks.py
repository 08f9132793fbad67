"""Webhook transport: secrets, Standard Webhooks signatures, safe targets, one HTTP attempt.

What is sent, to whom and when is decided by ``collab.services.webhooks``; this module
only knows how. A target is checked twice (SSRF): when an endpoint is saved, and again
before every attempt, where the request goes to the very address that was checked, so
that a hostname re-pointed to 127.0.0.1 after the save (DNS rebinding) reaches nothing.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from standardwebhooks import Webhook

from collab.validation import invalid

USER_AGENT = "Corkboard-Webhooks/1"
EXCERPT_BYTES = 1024
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """Return a signing secret in the Standard Webhooks form: ``whsec_`` and 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secrets_in_use: list[str], message_id: str, at: datetime, body: str) -> str:
    """Return the ``webhook-signature`` header: one ``v1,<base64>`` per secret, spaced."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets_in_use)


class UnsafeTarget(Exception):
    """The URL may not be called: bad scheme, unresolvable, or a private address."""


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refused(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    # is_global is False for loopback, private, link-local (cloud metadata at
    # 169.254.169.254), shared (100.64/10), reserved and unspecified ranges.
    return not address.is_global or address.is_multicast


def resolve(url: str) -> list[IpAddress]:
    """Return the addresses ``url`` may be sent to, or raise :class:`UnsafeTarget`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise UnsafeTarget("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeTarget("The URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise UnsafeTarget(f"The host {parts.hostname!r} cannot be resolved.") from error
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        refused = [str(address) for address in addresses if _refused(address)]
        if refused:
            raise UnsafeTarget(
                f"The host resolves to a private or reserved address ({', '.join(refused)});"
                " set WEBHOOK_ALLOW_PRIVATE=1 to allow it."
            )
    return addresses


def check_url(url: str) -> str:
    """Return ``url`` if an endpoint may be saved with it; else a 400 on ``url``."""
    try:
        resolve(url)
    except UnsafeTarget as error:
        raise invalid("url", str(error)) from error
    return url


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status (None if no response), an excerpt, an error."""

    status_code: int | None
    duration_ms: int
    response_excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pinned(url: str, address: IpAddress) -> str:
    """Return ``url`` with its host replaced by ``address`` (the one that was checked)."""
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def post(url: str, body: str, headers: dict[str, str]) -> Outcome:
    """POST ``body`` once to ``url``: no redirects followed, bounded by the timeout."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        address = resolve(url)[0]
    except UnsafeTarget as error:
        return Outcome(None, elapsed(), error=str(error))
    parts = urlsplit(url)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    try:
        with httpx.Client(
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            request = client.build_request(
                "POST",
                _pinned(url, address),
                content=body.encode(),
                headers={
                    "Host": host_header,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
                extensions=extensions,
            )
            response = client.send(request, stream=True)
            try:
                excerpt = b""
                for chunk in response.iter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
            finally:
                response.close()
            text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
            return Outcome(response.status_code, elapsed(), response_excerpt=text)
    except httpx.TimeoutException:
        return Outcome(
            None, elapsed(), error=f"Timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s."
        )
    except httpx.HTTPError as error:
        return Outcome(None, elapsed(), error=f"{type(error).__name__}: {error}"[:300])
