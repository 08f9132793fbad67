"""Rate limits, counted in Django's default cache (Redis), so they hold across processes.

Clients are told when to come back with ``Retry-After`` on the 429 (api/errors.py).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:
    # rest_framework.views imports the permission and throttle classes named in settings.
    from rest_framework.views import APIView

# Usernames are at most 150 characters; longer values are cut before keying the cache.
_MAX_USERNAME = 150


class ClientAddressMixin:
    """Identify clients by their socket address unless ``NUM_PROXIES`` is configured.

    DRF otherwise trusts the whole ``X-Forwarded-For`` header when ``NUM_PROXIES`` is
    unset, which lets any client pick a fresh identity per request and walk around
    every limit. Behind a proxy, set ``REST_FRAMEWORK["NUM_PROXIES"]``.
    """

    def get_ident(self, request: Request) -> str:
        if api_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR") or "unknown")
        return SimpleRateThrottle.get_ident(self, request)  # type: ignore[arg-type]


class AnonThrottle(ClientAddressMixin, AnonRateThrottle):
    scope = "anon"


class UserThrottle(ClientAddressMixin, UserRateThrottle):
    scope = "user"


class SignupThrottle(ClientAddressMixin, SimpleRateThrottle):
    """Limit account creation per client address."""

    scope = "signup"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(ClientAddressMixin, SimpleRateThrottle):
    """Limit log-in attempts per client address and, separately, per username.

    The address bucket slows one client guessing many accounts; the username bucket
    slows many clients guessing one account. Either running out refuses the attempt.
    """

    scope = "login"
    duration: int
    num_requests: int

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": "login-ip", "ident": self.get_ident(request)}

    def username_cache_key(self, request: Request) -> str | None:
        data: Any = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None
        # Hashed: the username is the client's text, and cache keys must be plain.
        # "surrogatepass": the body is not validated yet and JSON may carry lone surrogates.
        name = username.strip().lower()[:_MAX_USERNAME].encode("utf-8", "surrogatepass")
        ident = hashlib.sha256(name).hexdigest()
        return self.cache_format % {"scope": "login-user", "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        keys = [self.get_cache_key(request, view), self.username_cache_key(request)]
        self.now = self.timer()
        checked: list[tuple[str, list[float]]] = []
        refused: list[list[float]] = []
        for key in keys:
            if key is None:
                continue
            history: list[float] = self.cache.get(key, [])
            while history and history[-1] <= self.now - self.duration:
                history.pop()
            if len(history) >= self.num_requests:
                refused.append(history)
            checked.append((key, history))
        if refused:
            # wait() reads self.history: the bucket that frees up last decides.
            self.history = max(refused, key=lambda h: h[-1])
            return False
        for key, history in checked:
            history.insert(0, self.now)
            self.cache.set(key, history, self.duration)
        self.history = checked[0][1] if checked else []
        return True
