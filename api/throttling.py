"""Rate limits, counted in Django's default cache (Redis), so they hold across processes.

Redis is a cache here, not the truth: while it is unreachable each process counts in its
own memory instead (:class:`ThrottleCache`), so requests keep being answered and limits
keep holding per process. Clients are told when to come back with ``Retry-After`` on the
429 (api/errors.py), and every response says where they stand with ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` (:func:`rate_limit_headers`). The log-in
rule (:class:`LoginThrottle`) also guards the admin's log-in form (project/views.py).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

if TYPE_CHECKING:
    # rest_framework.views imports the permission and throttle classes named in settings.
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# Usernames are at most 150 characters; longer values are cut before keying the cache.
_MAX_USERNAME = 150
# After a failure the shared cache is left alone for this long: a paused Redis then
# costs one socket timeout per process per interval, not one per request.
_RETRY_SHARED_AFTER = 5.0
_CACHE_ERRORS = (RedisError, OSError)


class ThrottleCache:
    """The shared cache, or this process's memory while the shared one fails.

    An outage is logged once when it starts and once when it ends, not per request.
    """

    def __init__(self) -> None:
        self._local = LocMemCache("corkboard-throttles", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._down = False

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._call("set", key, value, timeout)

    def _call(self, method: str, *args: Any) -> Any:
        if time.monotonic() >= self._retry_at:
            try:
                result = getattr(shared_cache, method)(*args)
            except _CACHE_ERRORS as error:
                self._failed(error)
            else:
                self._recovered()
                return result
        return getattr(self._local, method)(*args)

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + _RETRY_SHARED_AFTER
            if self._down:
                return
            self._down = True
        logger.warning(
            "Shared cache unreachable (%s): rate limits count per process until it is back.",
            error,
        )

    def _recovered(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            logger.warning("Shared cache reachable again: rate limits are shared again.")


throttle_cache = ThrottleCache()


class ClientAddressMixin:
    """Identify clients by their socket address unless ``NUM_PROXIES`` is configured.

    DRF otherwise trusts the whole ``X-Forwarded-For`` header when ``NUM_PROXIES`` is
    unset, which lets any client pick a fresh identity per request and walk around
    every limit. Behind a proxy, set ``REST_FRAMEWORK["NUM_PROXIES"]``.
    """

    cache: Any = throttle_cache

    def get_ident(self, request: Request | HttpRequest) -> str:
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
    The API's log-in and the admin's count in the same buckets.
    """

    scope = "login"
    duration: int
    num_requests: int

    def get_cache_key(self, request: Request | HttpRequest, view: APIView | None) -> str:
        return self.cache_format % {"scope": "login-ip", "ident": self.get_ident(request)}

    def username_cache_key(self, username: object) -> str | None:
        if not isinstance(username, str) or not username.strip():
            return None
        # Hashed: the username is the client's text, and cache keys must be plain.
        # "surrogatepass": the body is not validated yet and JSON may carry lone surrogates.
        name = username.strip().lower()[:_MAX_USERNAME].encode("utf-8", "surrogatepass")
        ident = hashlib.sha256(name).hexdigest()
        return self.cache_format % {"scope": "login-user", "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        data: Any = request.data
        return self.allow_attempt(request, data.get("username") if isinstance(data, dict) else None)

    def allow_attempt(self, request: Request | HttpRequest, username: object) -> bool:
        """Count an attempt to sign in as ``username``; ``False`` if a bucket is full.

        After ``False``, :meth:`wait` gives the seconds until the attempt may be retried.
        """
        if self.rate is None:
            return True
        keys = [self.get_cache_key(request, None), self.username_cache_key(username)]
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


def rate_limit_headers(
    request: Request, view: APIView, throttles: list[BaseThrottle] | None
) -> dict[str, str]:
    """Return ``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` for the tightest limit.

    ``throttles`` are the instances that counted this request; ``None`` when the request
    was refused before it was counted (authentication, permissions), in which case the
    buckets are read without adding to them. Among the limits that apply, the one with
    the fewest requests left is reported; ``Reset`` is the seconds until its oldest
    counted request leaves the window (one more request is allowed then), ``0`` when it
    has counted none. Empty when no limit applies.
    """
    states = [
        state
        for throttle in (throttles if throttles is not None else view.get_throttles())
        if (state := _state(throttle, request, view, counted=throttles is not None))
    ]
    if not states:
        return {}
    limit, remaining, reset = min(states, key=lambda state: (state[1], -state[2]))
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }


def _state(
    throttle: BaseThrottle, request: Request, view: APIView, *, counted: bool
) -> tuple[int, int, int] | None:
    """Return (limit, remaining, reset seconds) of one throttle's bucket, or ``None``."""
    if not isinstance(throttle, SimpleRateThrottle) or throttle.rate is None:
        return None
    if counted:
        history: list[float] | None = getattr(throttle, "history", None)
        now = getattr(throttle, "now", None) or throttle.timer()
    else:
        key = throttle.get_cache_key(request, view)
        history = None if key is None else list(throttle.cache.get(key, []))
        now = throttle.timer()
    limit, duration = throttle.parse_rate(throttle.rate)
    if history is None or limit is None or duration is None:  # no key: not this client's
        return None
    live = [moment for moment in history if moment > now - duration]
    reset = math.ceil(live[-1] + duration - now) if live else 0
    return limit, max(0, limit - len(live)), max(0, reset)
