"""The LOGGING setting: human-readable lines by default, one JSON object per line in production.

JSON goes to stdout, text to stderr, through one handler. Its filter,
:class:`RequestContextFilter`, adds the current request id to every record and redacts
secrets from the message, the extra fields and the exception text, so that no
formatter can print one.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from accounts.tokens import TOKEN_PREFIX
from project.request_log import request_id_var

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDACTED = "[redacted]"

# Names whose value is a secret, as a form field, query parameter, header, cookie, dict key
# or META key (passwords, tokens, socket tickets, session and CSRF cookies, Authorization).
_SENSITIVE_NAME = (
    r"[\w-]*(?:password|passwd|secret|token|ticket|api[_-]?key|sessionid|session_key"
    r"|authorization|cookie)[\w-]*"
)
_SENSITIVE_KEY = re.compile(_SENSITIVE_NAME, re.IGNORECASE)
# A value this filter already replaced is left alone.
_NOT_REDACTED = rf"(?!{re.escape(REDACTED)})"
_SENSITIVE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A Cookie header, whatever cookies it carries: to the end of its value.
    (
        re.compile(r"(\b(?:http_)?(?:set-)?cookie\\?[\"']?\s*[:=]\s*\\?[\"']?)[^\"'\\\r\n]+", re.I),
        rf"\1{REDACTED}",
    ),
    # name: "value" and name='value' (JSON, reprs, escaped JSON inside a string).
    (
        re.compile(
            rf"(\b{_SENSITIVE_NAME}\\?[\"']?\s*[:=]\s*)(\\?[\"']){_NOT_REDACTED}.*?\2", re.I
        ),
        rf"\1\2{REDACTED}\2",
    ),
    # name=value, name: value (query strings, form bodies, cookies, headers with a scheme).
    (
        re.compile(
            rf"(\b{_SENSITIVE_NAME}\\?[\"']?\s*[:=]\s*)(?![\\\"']){_NOT_REDACTED}"
            r"(?:(?:bearer|basic|token|digest)\s+)?[^\s\"'&;,]+",
            re.I,
        ),
        rf"\1{REDACTED}",
    ),
    # A bearer credential anywhere, and a Corkboard token anywhere.
    (re.compile(rf"\b(bearer\s+){_NOT_REDACTED}[\w.~+/=-]{{8,}}", re.I), rf"\1{REDACTED}"),
    (re.compile(rf"{re.escape(TOKEN_PREFIX)}[\w-]+"), REDACTED),
    # The password of a URL (a DATABASE_URL or REDIS_URL in an error message).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.I), rf"\1{REDACTED}@"),
)


def redact(text: str) -> str:
    """Return ``text`` with every secret replaced by ``[redacted]``.

    The secrets are the values of :data:`_SENSITIVE_NAME` names, bearer credentials,
    Corkboard tokens, URL passwords, and the configured ``SECRET_KEY`` (with its
    fallbacks) and ``METRICS_TOKEN``.
    """
    configured = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS, settings.METRICS_TOKEN]
    for secret in configured:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _SENSITIVE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(key: str, value: Any) -> Any:
    """Return a log field's value with secrets redacted (all of a string under a secret's name).

    Numbers stay numbers whatever their name (counts and ids, never a secret).
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if _SENSITIVE_KEY.fullmatch(key):
        return REDACTED
    if isinstance(value, dict):
        return {str(k): _scrub(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(key, item) for item in value]
    return redact(str(value))


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return the fields a record carries beyond the standard ones (``extra=``)."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in RESERVED_ATTRS and not key.startswith("_")
    }


class RequestContextFilter(logging.Filter):
    """Add the current request id to a record that has none, and redact its secrets.

    Attached to the handler, so it sees every record that is printed. The message is
    merged with its arguments first (a secret may come in either), and an exception
    is rendered to text here so that its message and frames are redacted too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id is not None and getattr(record, "request_id", None) is None:
            record.request_id = request_id
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), ()
        for key, value in extra_fields(record).items():
            setattr(record, key, _scrub(key, value))
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class UncaughtExceptionsOnly(logging.Filter):
    """Pass ``django.request`` records that carry an exception; drop its status lines.

    Django logs every 4xx/5xx response there ("Not Found: /x"), which would repeat the
    ``corkboard.request`` line; its one record with a traceback (an uncaught exception)
    is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return bool(record.exc_info or record.exc_text)


class _UtcIsoTime(logging.Formatter):
    """Timestamps in ISO 8601 UTC with milliseconds: ``2025-01-31T12:00:00.123Z``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(_UtcIsoTime):
    """``<time> <LEVEL> <logger>: <message> key=value ...`` with every extra field."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        return f"{line} {fields}" if fields else line


class JsonFormatter(_UtcIsoTime, _JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, extras, ``exc_info``."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        )


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """Return Django's LOGGING dict for ``log_format`` ("text" or "json") at ``level``.

    Raise ImproperlyConfigured for any other format or an unknown level.
    """
    chosen_format, chosen_level = log_format.strip().lower(), level.strip().upper()
    if chosen_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f'LOG_FORMAT must be "text" or "json", not {log_format!r}.')
    if chosen_level not in LOG_LEVELS:
        raise ImproperlyConfigured(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}."
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"text": {"()": TextFormatter}, "json": {"()": JsonFormatter}},
        "filters": {
            "request_context": {"()": RequestContextFilter},
            "uncaught_exceptions_only": {"()": UncaughtExceptionsOnly},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                # JSON for the collector that reads stdout; text on stderr as before, so
                # that it never mixes with a command's own output.
                "stream": "ext://sys.stdout" if chosen_format == "json" else "ext://sys.stderr",
                "formatter": chosen_format,
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": chosen_level},
        "loggers": {
            "daphne": {"level": "WARNING"},
            "django.channels.server": {"level": "WARNING"},
            # Django's defaults give "django" handlers of its own (console in DEBUG,
            # mail_admins), which would print lines a second time, unfiltered: every
            # record goes through the one handler above instead.
            "django": {"handlers": [], "level": chosen_level},
            "django.request": {"filters": ["uncaught_exceptions_only"]},
            # The access line of Django's own runserver (Daphne replaces it here).
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            # uvicorn and gunicorn (README, "Plain HTTP on gunicorn"): their own lines go
            # through the one redacting handler too (uvicorn's INFO lines carry tickets).
            "uvicorn": {"handlers": [], "level": "WARNING", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "WARNING", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "gunicorn.error": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
