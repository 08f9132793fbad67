"""Short-lived marks, in the shared cache, of credentials that have just ended.

A socket is authenticated from the database before it joins the groups through which
a log-out, a token revocation or a suspension closes it: a credential that ends in
between publishes its close to nobody. So each of those ends also leaves a mark here,
before its close is published, and a socket that has joined its groups looks for marks
(one cache round trip) instead of asking the database again. A socket trusts the marks
only for :data:`TRUST_SECONDS` after its database check, and each mark lives longer
than that (and than any ticket), so none can expire before the socket that needs it
looks; later, or when the cache fails, the socket asks the database. The marks never
admit anybody: they only refuse.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# How long after its database check a socket may answer from the marks alone.
TRUST_SECONDS = 30.0
_SLACK_SECONDS = 5

_SESSION_KEY = "credential-ended:session:{}"
_TOKEN_KEY = "credential-ended:token:{}"  # noqa: S105 (a cache key, not a secret)
_USER_KEY = "credential-ended:user:{}"


def mark_seconds() -> int:
    """Return how long a mark lives: a ticket's whole life and the trust window, and more."""
    return int(settings.WS_TICKET_TTL_SECONDS + TRUST_SECONDS + _SLACK_SECONDS)


def _mark(key: str) -> None:
    """Set a mark, best effort: with the cache down, sockets ask the database instead."""
    try:
        cache.set(key, 1, timeout=mark_seconds())
    except Exception as error:
        logger.warning("marking an ended credential failed: %s", error.__class__.__name__)


def mark_session_ended(session: str) -> None:
    """Mark a browser session as ended (log-out), by its key's digest."""
    _mark(_SESSION_KEY.format(session))


def mark_token_revoked(token_id: int) -> None:
    """Mark a personal access token as revoked."""
    _mark(_TOKEN_KEY.format(token_id))


def mark_user_suspended(user_id: int) -> None:
    """Mark a user as suspended."""
    _mark(_USER_KEY.format(user_id))


def unmark_user(user_id: int) -> None:
    """Drop a user's suspension mark (reactivated), so that their new sockets open."""
    try:
        cache.delete(_USER_KEY.format(user_id))
    except Exception as error:
        logger.warning("unmarking a user failed: %s", error.__class__.__name__)


def _keys(session: str | None, token: int | None, user: int | None) -> list[str]:
    return [
        *([_SESSION_KEY.format(session)] if session else []),
        *([_TOKEN_KEY.format(token)] if token is not None else []),
        *([_USER_KEY.format(user)] if user is not None else []),
    ]


def ended(*, session: str | None = None, token: int | None = None, user: int | None = None) -> bool:
    """Return whether any of these credentials carries a mark, in one cache round trip.

    ``session`` is a session key's digest. Raises what the cache raises: a caller that
    cannot read the marks must check the database.
    """
    keys = _keys(session, token, user)
    return bool(keys) and bool(cache.get_many(keys))


async def ended_async(
    *, session: str | None = None, token: int | None = None, user: int | None = None
) -> bool:
    """:func:`ended`, awaited (natively on the event loop with ``project.cache.RedisCache``)."""
    keys = _keys(session, token, user)
    return bool(keys) and bool(await cache.aget_many(keys))
