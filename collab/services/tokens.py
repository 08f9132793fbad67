"""Writes to personal access tokens: create (plaintext returned once), revoke, touch."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts import revocations
from accounts.models import ApiToken, TokenScope
from accounts.tokens import TOKEN_PREFIX, token_digest
from collab.exceptions import Forbidden, NotAuthenticated, NotFound
from collab.permissions import AnyUser
from collab.validation import clean_text, invalid
from realtime.publish import disconnect_token


def token_create(
    *, actor: AnyUser, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plaintext, which is never stored."""
    if not actor.is_authenticated:
        raise Forbidden()
    name = clean_text(name, field="name", max_length=100)
    if not scopes or not set(scopes) <= set(TokenScope.values):
        raise invalid("scopes", f"Choose from: {', '.join(TokenScope.values)}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise invalid("expires_at", "Must be in the future.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(plaintext),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return token, plaintext


def token_revoke(*, actor: AnyUser, token_id: int) -> None:
    """Revoke one of the actor's tokens; it stops working at once.

    Its unspent socket tickets open nothing (redeeming checks the token), and the
    sockets opened with its tickets close, in every process.
    """
    if not actor.is_authenticated:
        raise NotFound("Token not found.")
    with transaction.atomic():
        updated = ApiToken.objects.filter(
            pk=token_id, user_id=actor.pk, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated and not ApiToken.objects.filter(pk=token_id, user_id=actor.pk).exists():
            raise NotFound("Token not found.")
        # Also when it was revoked already: closing is idempotent, and a socket that
        # raced the first revocation is closed by the second.
        transaction.on_commit(lambda: _cut_off(token_id))


def _cut_off(token_id: int) -> None:
    """Close a revoked token's sockets; the mark first, for sockets still connecting."""
    revocations.mark_token_revoked(token_id)
    disconnect_token(token_id)


def token_touch(token: ApiToken) -> None:
    """Record that a token was used, at most once a minute (no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# Longer values cannot be one of our tokens; refusing them early spares a hash.
_MAX_TOKEN_LENGTH = 200


def token_authenticate(plaintext: str) -> ApiToken:
    """Return the usable token ``plaintext`` names, its user selected, and touch it.

    Raise :class:`NotAuthenticated` for an unknown, revoked or expired token or a
    suspended user: the REST API's bearer authentication and the event stream share it.
    """
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > _MAX_TOKEN_LENGTH:
        raise NotAuthenticated("Invalid token.")
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(plaintext)).first()
    if token is None:
        raise NotAuthenticated("Invalid token.")
    if not token.is_usable():
        raise NotAuthenticated("This token is revoked or expired.")
    if not token.user.is_active:
        raise NotAuthenticated("This account is suspended.")
    token_touch(token)
    return token
