"""Domain errors: one base class, mapped to HTTP statuses and socket `error` messages."""

from __future__ import annotations

from typing import Any


class CorkboardError(Exception):
    """Base of every domain error; ``code`` is the wire code, ``status`` the HTTP one."""

    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, detail: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.detail = detail
        super().__init__(self.message)


class BadRequest(CorkboardError):
    code = "bad_request"
    status = 400
    default_message = "The request is not valid."


class ValidationFailed(CorkboardError):
    code = "invalid"
    status = 400
    default_message = "Some fields are not valid."


class NotAuthenticated(CorkboardError):
    code = "not_authenticated"
    status = 401
    default_message = "Authentication is required."


class Forbidden(CorkboardError):
    code = "forbidden"
    status = 403
    default_message = "You do not have permission to do this."


class NotFound(CorkboardError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class Conflict(CorkboardError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class BoardLocked(CorkboardError):
    code = "board_locked"
    status = 423
    default_message = "This board is locked by a moderator; it is read-only."


class PreconditionFailed(CorkboardError):
    code = "precondition_failed"
    status = 412
    default_message = "The object changed since you read it (stale If-Match version)."


class RateLimited(CorkboardError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests; slow down."


class ServiceUnavailable(CorkboardError):
    """A dependency (PostgreSQL, Redis) is down; the client should retry later."""

    code = "unavailable"
    status = 503
    default_message = "A service Corkboard depends on is unavailable; try again shortly."
    retry_after = 5


def error_body(code: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the error shape; ``detail`` only when there is something to say per field."""
    body: dict[str, Any] = {"error": code, "message": message}
    if detail:
        body["detail"] = detail
    return body


def error_headers(error: CorkboardError) -> dict[str, str]:
    """Return the headers that go with a domain error (``Retry-After`` if it says when)."""
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        return {"Retry-After": str(retry_after)}
    return {}
