"""Rules for user-supplied text, applied by the services whatever the entry point."""

from __future__ import annotations

import re
from typing import Any

from collab.exceptions import ValidationFailed

# C0 controls and DEL, but tab/newline/carriage return, which multi-line text may hold.
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def invalid(field: str, message: str) -> ValidationFailed:
    """Return the error for one bad field, in the one error shape."""
    return ValidationFailed(f"{field}: {message}", detail={field: [message]})


def clean_text(
    value: Any, *, field: str, max_length: int, required: bool = True, multiline: bool = False
) -> str:
    """Return ``value`` checked and stripped, or raise :class:`ValidationFailed`."""
    if not isinstance(value, str):
        raise invalid(field, "Must be a string.")
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL_SINGLE_LINE
    if pattern.search(value):
        raise invalid(field, "Must not contain control characters or null bytes.")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise invalid(field, "Must be valid Unicode text.")
    value = value.strip() if not multiline else value
    if required and not value.strip():
        raise invalid(field, "May not be blank.")
    if len(value) > max_length:
        raise invalid(field, f"Ensure this field has no more than {max_length} characters.")
    return value


def clean_color(value: Any, *, field: str = "color") -> str:
    # fullmatch: ``$`` would also accept a trailing newline.
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise invalid(field, "Must be a colour like #1a2b3c.")
    return value.lower()
