"""Request-level permissions: token scopes, session-only routes, CSRF for anonymous forms.

Role rules (who may change what in a workspace) are not here: the services and
selectors apply them, so REST and sockets share one rule (``collab/permissions.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken, TokenScope
from api.authentication import SessionAuthentication
from api.errors import InsufficientScope, SessionRequired

if TYPE_CHECKING:
    # rest_framework.views imports the permission and throttle classes named in settings.
    from rest_framework.views import APIView


class TokenScopePermission(BasePermission):
    """Require the ``read`` scope for safe methods and ``write`` for the others.

    A view may name the scope it needs in ``required_scope`` instead (a socket ticket
    only lets its holder read). Session callers hold every scope.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = getattr(view, "required_scope", None) or (
            TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE
        )
        if not token.has_scope(scope):
            raise InsufficientScope(f"This token lacks the '{scope}' scope.")
        return True


class SessionOnly(BasePermission):
    """Refuse token callers: a token may not mint or revoke tokens."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ApiToken):
            raise SessionRequired()
        return True


class CsrfProtected(BasePermission):
    """Check CSRF on unsafe requests even when anonymous (log-in and sign-up forms).

    DRF checks CSRF only for requests already signed in with a session; without this,
    another site could sign a visitor in to an account of its choosing.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method not in SAFE_METHODS:
            SessionAuthentication().check_csrf(request)
        return True
