"""Rules for user-supplied text, applied by the services whatever the entry point."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from collab.exceptions import ValidationFailed

# C0 and C1 controls and DEL, but tab/newline/carriage return, which multi-line text may
# hold. One-line text also refuses the Unicode line and paragraph separators.
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Explicit bidirectional embeddings, overrides and isolates: in a one-line name or title
# they make text display in another order than it is stored (spoofing a name, a file
# extension, a link). Paragraphs keep them: right-to-left writers need them there.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def invalid(field: str, message: str) -> ValidationFailed:
    """Return the error for one bad field, in the one error shape."""
    return ValidationFailed(f"{field}: {message}", detail={field: [message]})


def is_blank(value: str) -> bool:
    """Return whether ``value`` shows nothing: only spaces and invisible format characters.

    A title of zero-width spaces passes ``str.strip`` but is as blank as an empty one.
    """
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)


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
    if not multiline and _BIDI_CONTROLS.search(value):
        raise invalid(field, "Must not contain bidirectional override characters.")
    value = value.strip() if not multiline else value
    if required and is_blank(value):
        raise invalid(field, "May not be blank.")
    if len(value) > max_length:
        raise invalid(field, f"Ensure this field has no more than {max_length} characters.")
    return value


def clean_color(value: Any, *, field: str = "color") -> str:
    # fullmatch: ``$`` would also accept a trailing newline.
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise invalid(field, "Must be a colour like #1a2b3c.")
    return value.lower()
