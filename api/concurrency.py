"""Optimistic concurrency over HTTP: ``ETag`` carries a version, ``If-Match`` demands one.

A client that read version 3 sends ``If-Match: "3"`` with its change; the service
compares it under the board lock and answers 412 if someone else changed the object
in between (collab.exceptions.PreconditionFailed).
"""

from __future__ import annotations

import re

from rest_framework.request import Request
from rest_framework.response import Response

from collab.exceptions import BadRequest

_VERSION = re.compile(r'^\s*(?:W/)?(?:"(\d{1,18})"|(\d{1,18}))\s*$')


def expected_version(request: Request) -> int | None:
    """Return the version in ``If-Match``, ``None`` when absent or ``*``.

    Accepts ``"3"`` (as sent back from an ``ETag``) or a bare ``3``; anything else is
    a 400, so that a typo never silently turns off the check.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _VERSION.match(header)
    if match is None:
        raise BadRequest(
            'If-Match must be one version as sent in the ETag header, like "3".',
            detail={"If-Match": ["Malformed version."]},
        )
    return int(match.group(1) or match.group(2))


def with_etag(response: Response, version: int) -> Response:
    """Set the response's ``ETag`` to the object's version and return it."""
    response["ETag"] = f'"{version}"'
    return response
