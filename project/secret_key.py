"""Refuse the published development secret key anywhere but development."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

INSECURE_DEFAULT_SECRET = "corkboard-insecure-development-key-change-me"  # noqa: S105


def check_secret_key(secret_key: str, *, debug: bool, allow_insecure: bool) -> None:
    """Raise ImproperlyConfigured for the published key with DEBUG off.

    ``allow_insecure`` (CORKBOARD_ALLOW_INSECURE_KEY) marks a throwaway instance such
    as the test suite's servers.
    """
    if secret_key == INSECURE_DEFAULT_SECRET and not debug and not allow_insecure:
        raise ImproperlyConfigured(
            "SECRET_KEY is unset: set SECRET_KEY (or DEBUG=1 for local development)."
        )
