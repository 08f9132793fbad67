"""Bounded history: 10,000 edits through the store leave a snapshot and a short tail.

The figures (printed) go in the closing note: stored bytes against the bytes of every
update ever stored, and how many updates a load replays.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from pycrdt import Doc, Text

from collab import docs
from collab.models import CardDoc, CardDocUpdate
from collab.services.docs import _append, doc_load, doc_store, locked_doc
from tests.factories import make_card

# Committed as in production (dead update rows are cleaned up, not piled up in one
# transaction of the test).
pytestmark = pytest.mark.django_db(transaction=True)

EDITS = int(__import__("os").environ.get("DOC_HISTORY_EDITS", "10000"))


def _stored_bytes(card_id: int) -> tuple[int, int]:
    row = CardDoc.objects.get(card_id=card_id)
    updates = list(CardDocUpdate.objects.filter(doc=row).values_list("data", flat=True))
    return len(row.snapshot) + sum(len(data) for data in updates), len(updates)


def test_ten_thousand_edits_keep_the_stored_size_and_the_replay_bounded(team: Any) -> None:
    card = make_card(team.member, team.todo, description="")
    stored = doc_load(card.pk)
    client: Doc = Doc()
    client.apply_update(stored.parts[0])
    text = client.get("description", type=Text)
    updates: list[bytes] = []
    client.observe(lambda event: updates.append(event.update))
    rng = random.Random(20261203)
    cursor, most_rows, logged = 0, 0, 0
    edits = 0
    while edits < EDITS:
        length = len(str(text))
        roll = rng.random()
        if roll < 0.03:
            cursor = rng.randrange(length + 1)  # a click elsewhere
        elif roll < 0.25 and cursor > 0:
            del text[cursor - 1 : cursor]  # backspace (ASCII: byte offsets are indices)
            cursor -= 1
        else:
            text.insert(cursor, rng.choice("abcdefgh  "))
            cursor += 1
        if not updates:
            continue  # a click changes nothing
        edits += 1
        update = updates.pop()
        logged += len(update)
        if edits % 100 == 0:  # the whole path (checks, lock, store) now and then
            doc_store(
                actor=team.member, card_id=card.pk, generation=stored.generation, update=update
            )
        else:  # the same store under the same lock, cheaper for the test's clock
            with transaction.atomic():
                _append(locked_doc(card.pk), update, author_id=team.member.pk)  # type: ignore[arg-type]
        if cursor % 97 == 0:
            most_rows = max(most_rows, CardDocUpdate.objects.filter(doc_id=card.pk).count())
    size, rows = _stored_bytes(card.pk)
    print(
        f"\n{EDITS} edits: {logged:,} bytes of updates stored in all; now {size:,} bytes "
        f"({rows} updates after the snapshot, at most {most_rows} seen); "
        f"text {len(str(text)):,} characters, state {len(client.get_update()):,} bytes"
    )
    assert rows < settings.DOC_COMPACT_EVERY
    assert most_rows < settings.DOC_COMPACT_EVERY
    assert size < logged / 3
    # The state, and the last batch merged into it (nothing more once they overlap).
    assert size <= len(client.get_update()) + rows * 64 + 1024
    loaded = doc_load(card.pk)
    assert len(loaded.parts) - 1 == rows <= settings.DOC_COMPACT_EVERY
    assert str(docs.text_of(docs.load(loaded.parts))) == str(text)
