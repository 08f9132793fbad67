"""Fractional order keys: a key strictly between two others, never renumbering a list.

Keys are base-62 strings ordered byte by byte: an integer part whose first character
encodes its length, then a fraction without trailing zeros. The scheme is the one of
David Greenspan's "Implementing Fractional Indexing" (as in Figma and rocicorp's
``fractional-indexing``): appends grow keys logarithmically, inserts between two keys
add at most a character or so.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INTEGER_ZERO = "a0"
_SMALLEST_INTEGER = "A" + "0" * 26


class OrderKeyError(ValueError):
    """Raised for keys that are malformed or not in order."""


def _midpoint(a: str, b: str | None) -> str:
    """Return a fraction strictly between fractions ``a`` and ``b`` (``None``: one)."""
    if b is not None and a >= b:
        raise OrderKeyError(f"{a!r} is not below {b!r}")
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = DIGITS.index(a[0]) if a else 0
    digit_b = DIGITS.index(b[0]) if b else len(DIGITS)
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b is not None and len(b) > 1:
        return b[0]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise OrderKeyError(f"invalid order key head {head!r}")


def _split(key: str) -> tuple[str, str]:
    if not key:
        raise OrderKeyError("empty order key")
    length = _integer_length(key[0])
    if len(key) < length:
        raise OrderKeyError(f"invalid order key {key!r}")
    integer, fraction = key[:length], key[length:]
    if fraction.endswith("0") or any(c not in DIGITS for c in key[1:]):
        raise OrderKeyError(f"invalid order key {key!r}")
    return integer, fraction


def _increment(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) + 1
        if d < len(DIGITS):
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = "0"
    if head == "Z":
        return _INTEGER_ZERO
    if head == "z":
        return None
    new_head = chr(ord(head) + 1)
    if new_head > "a":
        digits.append("0")
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) - 1
        if d >= 0:
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    new_head = chr(ord(head) - 1)
    if new_head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def key_between(a: str | None, b: str | None) -> str:
    """Return a key strictly between ``a`` and ``b``; ``None`` means an open end."""
    if a is None and b is None:
        return _INTEGER_ZERO
    if a is None:
        assert b is not None
        integer_b, fraction_b = _split(b)
        if integer_b == _SMALLEST_INTEGER:
            return integer_b + _midpoint("", fraction_b)
        if integer_b < b:
            return integer_b
        lower = _decrement(integer_b)
        if lower is None:
            raise OrderKeyError("cannot go below the smallest key")
        return lower
    integer_a, fraction_a = _split(a)
    if b is None:
        higher = _increment(integer_a)
        return integer_a + _midpoint(fraction_a, None) if higher is None else higher
    if a >= b:
        raise OrderKeyError(f"{a!r} is not below {b!r}")
    integer_b, fraction_b = _split(b)
    if integer_a == integer_b:
        return integer_a + _midpoint(fraction_a, fraction_b)
    higher = _increment(integer_a)
    if higher is None:
        raise OrderKeyError("cannot go above the largest key")
    if higher < b:
        return higher
    return integer_a + _midpoint(fraction_a, None)
