"""Who is calling: a personal access token (third parties) or a browser session."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken
from collab.exceptions import NotAuthenticated
from collab.services.tokens import token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate ``Authorization: Bearer cbp_...`` with a personal access token.

    ``request.auth`` is the :class:`~accounts.models.ApiToken`, whose scopes
    :class:`api.permissions.TokenScopePermission` checks. Revoked or expired tokens
    and suspended users are refused with 401.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: use 'Bearer <token>'."
            )
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        try:
            token = token_authenticate(plaintext)
        except NotAuthenticated as error:
            raise exceptions.AuthenticationFailed(error.message) from error
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced), answering 401 rather than 403.

    DRF answers 403 to unauthenticated requests when the first authentication class
    has no ``WWW-Authenticate`` challenge; a missing session is a 401 here.
    """

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'

    def check_csrf(self, request: Request) -> None:
        """Refuse an unsafe request without a valid CSRF token, signed in or not."""
        self.enforce_csrf(request)
