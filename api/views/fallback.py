"""The answer to any path under /api/v1/ that names no route: a 404 in the error shape."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from api.views.base import ApiView


class NoRouteView(ApiView):
    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None  # not part of the documented API

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        hint = "" if request.path.endswith("/") else " API paths end with a slash."
        raise NotFound(f"No API route matches this path.{hint}")
