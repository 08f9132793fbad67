"""Optimistic concurrency over HTTP: ``ETag`` carries a version, ``If-Match`` demands one.

A client that read version 3 sends ``If-Match: "3"`` with its change; the service
compares it under the board lock and answers 412 if someone else changed the object
in between (collab.exceptions.PreconditionFailed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Model
from rest_framework.request import Request
from rest_framework.response import Response

from collab.events import lock_board
from collab.exceptions import BadRequest
from collab.services.guards import check_version

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


@contextmanager
def delete_precondition(
    request: Request, *, board_id: int, model: type[Model], pk: int
) -> Iterator[None]:
    """Run a delete only if the object is still at the ``If-Match`` version.

    The delete services take no expected version, so the check runs here, under the
    same board lock they take (board first, as every service does, so no deadlock)
    and in one transaction with the delete, which leaves no window for a change.
    """
    expected = expected_version(request)
    if expected is None:
        yield
        return
    with transaction.atomic():
        lock_board(board_id)
        current = model._default_manager.filter(pk=pk).first()
        if current is not None:
            check_version(current, expected)
        yield
