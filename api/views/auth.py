"""Sign-up, log-in and log-out with a browser session, the CSRF cookie, socket tickets, me.

Every answer that returns the caller's account (sign-up, log-in, me) carries the
feature flags they get (api/features.py), so the browser app knows them from the start.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiToken, TokenScope, User
from accounts.tickets import ticket_issue
from api.authentication import SessionAuthentication
from api.errors import InvalidCredentials
from api.features import MeOutput
from api.permissions import CsrfProtected
from api.schema import errors
from api.serializers import (
    CsrfTokenOutput,
    LoginInput,
    MeUpdateInput,
    SignupInput,
    WsTicketOutput,
)
from api.throttling import AnonThrottle, LoginThrottle, SignupThrottle
from api.views.base import ApiView, no_content
from collab.services.users import (
    session_end,
    session_ticket_ref,
    user_set_email_digests,
    user_signup,
)

_TAGS = ["auth"]


def _me(request: Request, user: Any, status_code: int = status.HTTP_200_OK) -> Response:
    """Return ``user``'s account with the feature flags that ``request`` gets."""
    body = MeOutput(user, context={"request": request._request}).data
    return Response(body, status=status_code)


class CsrfView(ApiView):
    """Set the CSRF cookie; browsers and curl send its value as ``X-CSRFToken``."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=_TAGS, auth=[], responses={200: CsrfTokenOutput, **errors()})
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request._request)})


class SignupView(ApiView):
    """Create an account and sign in with it (403 when sign-up is switched off)."""

    authentication_classes = []
    permission_classes = [CsrfProtected]
    throttle_classes = [AnonThrottle, SignupThrottle]

    @extend_schema(
        tags=_TAGS,
        auth=[],
        request=SignupInput,
        responses={201: MeOutput, **errors(400, 403, 409, 413)},
    )
    def post(self, request: Request) -> Response:
        data = self.parsed(SignupInput)
        user = user_signup(
            username=data["username"], email=data.get("email", ""), password=data["password"]
        )
        login(request._request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return _me(request, user, status.HTTP_201_CREATED)


class LoginView(ApiView):
    """Sign in with a username and password; the session cookie comes back.

    CSRF is checked although the caller is anonymous (against login CSRF), and
    attempts are rate limited per client address and per username.
    """

    authentication_classes = []
    permission_classes = [CsrfProtected]
    throttle_classes = [AnonThrottle, LoginThrottle]

    @extend_schema(
        tags=_TAGS,
        auth=[],
        request=LoginInput,
        responses={200: MeOutput, **errors(400, 403, 413)},
    )
    def post(self, request: Request) -> Response:
        data = self.parsed(LoginInput)
        # authenticate() refuses suspended (inactive) users as it refuses bad passwords.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise InvalidCredentials()
        # login() rotates the session key and the CSRF token (no session fixation).
        login(request._request, user)
        return _me(request, user)


class LogoutView(ApiView):
    """End the browser session (a no-op without one)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [CsrfProtected]

    @extend_schema(tags=_TAGS, request=None, responses={204: None, **errors(403)})
    def post(self, request: Request) -> Response:
        session_key = request._request.session.session_key
        logout(request._request)
        # The session is gone: void its socket tickets and close its sockets.
        session_end(session_key=session_key)
        return no_content()


class WsTicketView(ApiView):
    """Issue a single-use, short-lived ticket to open ``/ws/?ticket=...``.

    Token callers need only the ``read`` scope: a socket carries no writes.
    """

    required_scope = TokenScope.READ

    @extend_schema(tags=_TAGS, request=None, responses={200: WsTicketOutput, **errors(403)})
    def post(self, request: Request) -> Response:
        # The ticket records the credential it came through, and dies with it.
        # Authentication has just read the user (and token): the ticket carries that read.
        user_id = int(request.user.pk or 0)
        user = request.user if isinstance(request.user, User) else None
        if isinstance(request.auth, ApiToken):
            token = request.auth
            ticket = ticket_issue(
                user_id, token_id=token.pk, user=user, token_expires_at=token.expires_at
            )
        else:
            session = session_ticket_ref(request._request.session.session_key)
            ticket = ticket_issue(user_id, session=session, user=user)
        return Response({"ticket": ticket, "expires_in": settings.WS_TICKET_TTL_SECONDS})


class MeView(ApiView):
    """The caller's own account."""

    @extend_schema(tags=["me"], responses={200: MeOutput, **errors(403)})
    def get(self, request: Request) -> Response:
        return _me(request, request.user)

    @extend_schema(
        tags=["me"], request=MeUpdateInput, responses={200: MeOutput, **errors(400, 403)}
    )
    def patch(self, request: Request) -> Response:
        data = self.parsed(MeUpdateInput)
        return _me(
            request, user_set_email_digests(actor=request.user, enabled=data["email_digests"])
        )
