"""``Idempotency-Key`` on POST: a retried request gets the first response, not a second write.

An authenticated POST that carries the header claims the key for its user before the
view runs (one row, unique per user and key, committed at once). Then:

- the same key and the same request (method, path and body, by SHA-256) within
  ``IDEMPOTENCY_KEY_HOURS`` gets the first response again, status, body, ``ETag`` and
  ``Location``, with ``Idempotent-Replayed: true``, and nothing is written;
- the same key with another request is a ``422`` ``idempotency_key_reused``;
- a request that comes while the first with its key is still running is a ``409``
  ``idempotency_key_in_use`` with ``Retry-After: 1`` (concurrent retries make one write);
- a first request that fails with a 5xx or an exception releases its key, so the
  client can retry; its 4xx answers are kept and replayed like successes.

If the process dies between the write and the stored response, the key stays "running"
for ``IDEMPOTENCY_STALE_SECONDS``; after that a retry runs the request again. Anonymous
requests (sign-up, log-in) ignore the header. Expired keys are reused on sight and
deleted by ``manage.py prune_idempotency_keys``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from rest_framework.request import Request

from api.models import IdempotencyKey
from collab.exceptions import BadRequest, CorkboardError

HEADER = "HTTP_IDEMPOTENCY_KEY"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_KEPT_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(CorkboardError):
    code = "idempotency_key_reused"
    status = 422
    default_message = "This Idempotency-Key was used for another request; use a new key."


class IdempotencyKeyInUse(CorkboardError):
    code = "idempotency_key_in_use"
    status = 409
    default_message = "A request with this Idempotency-Key is still running; retry shortly."
    retry_after = 1


@dataclass
class Claim:
    """The key this request holds while it runs."""

    record: IdempotencyKey


class Replayed(Exception):
    """Raised before the view runs: the stored response answers the request."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replayed")
        self.response = response


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def begin(request: Request) -> Claim | None:
    """Claim the request's key, or raise :class:`Replayed` or the key's error.

    ``None`` when the request has no key, is not a POST, or is anonymous.
    """
    key = request.META.get(HEADER)
    if key is None or request.method != "POST" or not request.user.is_authenticated:
        return None
    if not _KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.")
    fingerprint = _fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        record, created = IdempotencyKey.objects.get_or_create(
            user=request.user, key=key, defaults={"fingerprint": fingerprint, "created_at": now}
        )
    if created:
        return Claim(record)
    expired = record.created_at < now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    stale = record.status_code is None and record.created_at < now - timedelta(
        seconds=settings.IDEMPOTENCY_STALE_SECONDS
    )
    if expired or stale:
        # Take the row over only if nobody else did meanwhile (one winner).
        taken = IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).update(
            fingerprint=fingerprint, status_code=None, content=b"", headers={}, created_at=now
        )
        if taken:
            record.refresh_from_db()
            return Claim(record)
        raise IdempotencyKeyInUse()
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotencyKeyInUse()
    raise Replayed(_replay(record))


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.content), status=record.status_code, content_type=record.content_type
    )
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def finish(claim: Claim | None, response: HttpResponseBase) -> None:
    """Keep the first response of a claimed key (release the key after a 5xx)."""
    if claim is None:
        return
    if response.status_code >= 500:
        release(claim)
        return
    render = getattr(response, "render", None)
    if render is not None:
        render()
    record = claim.record
    IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).update(
        status_code=response.status_code,
        content=getattr(response, "content", b""),
        content_type=response.get("Content-Type", ""),
        headers={name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
    )


def release(claim: Claim | None) -> None:
    """Forget a claimed key whose request failed, so that a retry runs it."""
    if claim is not None:
        record = claim.record
        IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).delete()


def prune() -> int:
    """Delete the keys past ``IDEMPOTENCY_KEY_HOURS``; return how many."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
