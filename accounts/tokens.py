"""How personal access tokens look and are stored: a public prefix and a SHA-256 digest."""

from __future__ import annotations

import hashlib

TOKEN_PREFIX = "cbp_"  # noqa: S105 (a public marker, not a secret)


def token_digest(plaintext: str) -> str:
    """Return the stored digest of a token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(plaintext.encode()).hexdigest()
