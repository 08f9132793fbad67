"""Writes to accounts: sign-up and personal access tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken, TokenScope, User
from collab.exceptions import Conflict, Forbidden, NotFound
from collab.permissions import AnyUser
from collab.validation import clean_text, invalid

TOKEN_PREFIX = "cbp_"  # noqa: S105 (a public marker, not a secret)


def token_digest(plaintext: str) -> str:
    """Return the stored digest of a token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def user_signup(*, username: str, email: str, password: str) -> User:
    """Create an account, unless sign-up is switched off."""
    if not settings.ALLOW_SIGNUP:
        raise Forbidden("Sign-up is disabled on this instance.")
    if isinstance(username, str):
        # NFKC first, as create_user stores it: a fullwidth "member" is "member", and taken.
        username = User.normalize_username(username)
    username = clean_text(username, field="username", max_length=150)
    if not all(c.isalnum() or c in "@.+-_" for c in username):
        raise invalid("username", "Use letters, digits and @ . + - _ only.")
    email = clean_text(email, field="email", max_length=254, required=False)
    if email and ("@" not in email or " " in email):
        raise invalid("email", "Enter a valid email address.")
    if not isinstance(password, str) or not password:
        raise invalid("password", "May not be blank.")
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except DjangoValidationError as error:
        raise invalid("password", " ".join(error.messages)) from error
    taken = Conflict("This username is taken.", detail={"username": ["Already taken."]})
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=username).exists():
                raise taken
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as error:
        # A concurrent sign-up took the name between the check and the insert.
        raise taken from error


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
    """Revoke one of the actor's tokens; it stops working at once."""
    if not actor.is_authenticated:
        raise NotFound("Token not found.")
    updated = ApiToken.objects.filter(
        pk=token_id, user_id=actor.pk, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated and not ApiToken.objects.filter(pk=token_id, user_id=actor.pk).exists():
        raise NotFound("Token not found.")


def token_touch(token: ApiToken) -> None:
    """Record that a token was used, at most once a minute (no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
