"""Writes to one card's document at the same moment: socket updates, a REST edit of the
description, the projection and a reset, in the documented lock order (board, then the
document row), with no deadlock, no lost update and no seq stored twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab import docs
from collab.models import Card, CardDoc, CardDocUpdate
from collab.services.cards import card_project_description, card_reset_description, card_update
from collab.services.docs import StaleGeneration, doc_load, doc_store
from tests.concurrency.conftest import describe, run_together
from tests.factories import make_card

pytestmark = pytest.mark.django_db(transaction=True)


def _client_update(stored: bytes, words: str) -> bytes:
    doc: Doc = Doc()
    doc.apply_update(stored)
    before = doc.get_state()
    text = doc.get("description", type=Text)
    text.insert(len(text), words)
    return doc.get_update(before)


def test_socket_updates_a_rest_edit_and_the_projection_at_once(team: Any) -> None:
    card = make_card(team.member, team.todo, description="start")
    stored = doc_load(card.pk)
    base = docs.state(docs.load(stored.parts))
    updates = [_client_update(base, f" w{i}") for i in range(6)]
    calls: list[Callable[[], object]] = [
        *(
            (lambda u=u: doc_store(
                actor=team.member, card_id=card.pk, generation=stored.generation, update=u
            ))
            for u in updates
        ),
        lambda: card_update(actor=team.owner, card_id=card.pk, description="REST start"),
    ]  # fmt: skip
    outcomes = run_together(*calls)
    assert all(outcome.ok for outcome in outcomes), describe(outcomes)
    seqs = [int(outcome.value) for outcome in outcomes[:6]]  # type: ignore[call-overload]
    assert len(set(seqs)) == 6
    rest_seq = CardDocUpdate.objects.get(doc_id=card.pk, author=team.owner).seq
    assert rest_seq not in seqs
    text = str(docs.text_of(docs.load(doc_load(card.pk).parts)))
    assert text.startswith("REST start"), text
    # The REST edit sets the whole text, as a diff of what was stored before it: the
    # words stored before it are replaced, every word stored after it is kept.
    for i, seq in enumerate(seqs):
        assert (f" w{i}" in text) == (seq > rest_seq), (text, seqs, rest_seq)
    assert Card.objects.get(pk=card.pk).version == 2
    # The projection after everything settles writes exactly the document's text.
    card_project_description(actor=team.member, card_id=card.pk)
    assert Card.objects.get(pk=card.pk).description == text


def test_a_reset_against_socket_updates_keeps_one_generation(team: Any) -> None:
    card = make_card(team.member, team.todo, description="start")
    stored = doc_load(card.pk)
    base = docs.state(docs.load(stored.parts))
    calls: list[Callable[[], object]] = [
        *(
            (lambda u=u: doc_store(
                actor=team.member, card_id=card.pk, generation=stored.generation, update=u
            ))
            for u in (_client_update(base, f" w{i}") for i in range(4))
        ),
        lambda: card_reset_description(actor=team.owner, card_id=card.pk),
    ]  # fmt: skip
    outcomes = run_together(*calls)
    for outcome in outcomes[:4]:
        assert outcome.ok or isinstance(outcome.error, StaleGeneration), describe(outcomes)
    assert outcomes[4].ok, describe(outcomes)
    row = CardDoc.objects.get(card_id=card.pk)
    assert row.generation == outcomes[4].value
    assert not CardDocUpdate.objects.filter(doc=row, seq__gt=row.head_seq).exists()
    text = str(docs.text_of(docs.load(doc_load(card.pk).parts)))
    stored_before_reset = sum(1 for outcome in outcomes[:4] if outcome.ok)
    assert text.count(" w") == stored_before_reset, text
    assert text.count("start") == 1
