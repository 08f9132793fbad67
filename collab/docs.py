"""A card's description as a Yjs document (pycrdt): load, check, diff, read its text.

Pure functions over bytes and ``pycrdt.Doc``; no database, no socket. The shared type is
the ``Y.Text`` named ``description``. pycrdt indexes text by UTF-8 byte, Python by code
point: :func:`apply_text` converts, so a diff never splits a character.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from difflib import SequenceMatcher

from pycrdt import Doc, Text, merge_updates

TEXT = "description"


def server_client_id(generation: str) -> int:
    """Return the Yjs client id of the server's own edits (seeding, REST diffs).

    They are all made under the document's row lock, from the stored state, so their
    clocks never collide. One id per generation: were two generations ever merged, the
    server's items of each would not pass for the other's (which would corrupt the text
    silently instead of showing it twice).
    """
    return int(generation[:13], 16) if generation else 1


# An update with no structs and no deletions (what a client in step with the server sends
# as its sync step 2).
EMPTY_UPDATE = b"\x00\x00"


class BadUpdate(ValueError):
    """Bytes that do not decode as a Yjs update."""


def new_generation() -> str:
    return secrets.token_hex(16)


def text_of(doc: Doc) -> Text:
    return doc.get(TEXT, type=Text)


def load(parts: Iterable[bytes], generation: str = "") -> Doc:
    """Return a document with every update of ``parts`` applied (snapshot first).

    ``generation`` gives the client id of the edits the server makes on it.
    """
    doc: Doc = Doc(client_id=server_client_id(generation))
    text_of(doc)
    for part in parts:
        if part:
            doc.apply_update(part)
    return doc


def seeded(text: str, generation: str) -> bytes:
    """Return the state of a new document holding ``text`` (a new generation's snapshot)."""
    doc = load((), generation)
    if text:
        text_of(doc).insert(0, text)
    return doc.get_update()


def merged(parts: list[bytes]) -> bytes:
    """Return one update holding every update of ``parts`` (deletions waiting included)."""
    present = [part for part in parts if part]
    return merge_updates(*present) if len(present) > 1 else (present[0] if present else b"")


def state(doc: Doc) -> bytes:
    return doc.get_update()


def apply(doc: Doc, update: bytes) -> None:
    """Apply a client's update; raise :class:`BadUpdate` if it does not decode."""
    try:
        doc.apply_update(update)
    except ValueError as error:
        raise BadUpdate(str(error)) from None


def probe(current: bytes, update: bytes) -> tuple[bytes, str]:
    """Return the state and text ``current`` would have with ``update``; change nothing.

    Raises :class:`BadUpdate` for bytes that are not an update. The state tells whether
    the update adds anything (a reconnecting client resends what the server has).
    """
    doc = load((current,))
    apply(doc, update)
    return doc.get_update(), str(text_of(doc))


def apply_text(doc: Doc, wanted: str) -> bytes:
    """Edit the document's text into ``wanted`` by a minimal diff; return the update.

    Unchanged runs keep their Yjs items, so people typing elsewhere in the text keep
    their text and cursors. Returns ``b""`` when the text is already ``wanted``.
    """
    text = text_of(doc)
    current = str(text)
    if current == wanted:
        return b""
    before = doc.get_state()
    with doc.transaction():
        # Right to left: an edit never moves the offsets of the ones still to do.
        opcodes = SequenceMatcher(None, current, wanted, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in reversed(opcodes):
            if tag == "equal":
                continue
            start = len(current[:i1].encode())
            if i2 > i1:
                del text[start : start + len(current[i1:i2].encode())]
            if j2 > j1:
                text.insert(start, wanted[j1:j2])
    return doc.get_update(before)
