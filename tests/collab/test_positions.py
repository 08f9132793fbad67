"""Fractional order keys: their properties, and card and column order through the services."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

import collab.events
from collab.exceptions import ValidationFailed
from collab.models import Card, Column
from collab.positions import DIGITS, OrderKeyError, key_between
from collab.services.cards import card_create, card_move
from collab.services.columns import column_create
from tests.conftest import Team
from tests.factories import make_card


def _assert_valid(key: str) -> None:
    """Assert ``key`` is well formed: base-62 digits and usable as an anchor on both sides."""
    assert key and all(c in DIGITS for c in key), key
    key_between(key, None)
    key_between(None, key)


def _insert(keys: list[str], index: int) -> str:
    before = keys[index - 1] if index > 0 else None
    after = keys[index] if index < len(keys) else None
    key = key_between(before, after)
    assert before is None or before < key, (before, key)
    assert after is None or key < after, (key, after)
    keys.insert(index, key)
    return key


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=1, max_size=150))
def test_random_inserts_keep_keys_strictly_ordered_and_unique(choices: list[float]) -> None:
    keys: list[str] = []
    for choice in choices:
        _assert_valid(_insert(keys, int(choice * (len(keys) + 1))))
    assert keys == sorted(set(keys))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["first", "last", "after-first", "before-last"]), min_size=1, max_size=300
    )
)
def test_adversarial_insert_patterns_stay_ordered(pattern: list[str]) -> None:
    keys: list[str] = []
    for where in pattern:
        index = {"first": 0, "last": len(keys), "after-first": min(1, len(keys)),
                 "before-last": max(len(keys) - 1, 0)}[where]  # fmt: skip
        _insert(keys, index)
    assert keys == sorted(set(keys))
    # Each insert at one spot adds well under a character: the growth is bounded.
    assert max(map(len, keys)) <= 3 + len(pattern) // 4


@pytest.mark.parametrize("direction", ["append", "prepend"])
def test_keys_stay_short_for_a_thousand_appends_or_prepends(direction: str) -> None:
    keys: list[str] = []
    for _ in range(1000):
        _insert(keys, len(keys) if direction == "append" else 0)
    assert keys == sorted(set(keys))
    assert max(map(len, keys)) <= 3


def test_inserting_at_one_spot_grows_keys_slowly() -> None:
    # The known cost of fractional keys without renumbering: about a character per six
    # inserts at the same spot, so the 255-character column holds about 1,500 of them.
    keys = ["a0", "a1"]
    for _ in range(500):
        _insert(keys, 1)
    assert max(map(len, keys)) <= 100


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a1", "a0"),
        ("a0", "a0"),
        ("", None),
        ("a00", None),
        ("!x", None),
        ("a", None),
        (None, "a0 "),
    ],
)
def test_bad_or_disordered_keys_are_refused(a: str | None, b: str | None) -> None:
    with pytest.raises(OrderKeyError):
        key_between(a, b)


def test_keys_sort_byte_by_byte_across_cases() -> None:
    # Prepending below "a0" yields "Z…" keys: ASCII puts "Z" before "a", most locales do not.
    assert key_between(None, "a0") < "a0" < key_between("a0", None)
    assert key_between(None, "a0").startswith("Z")


def _order(column: Any) -> list[str]:
    return list(
        Card.objects.filter(column=column).order_by("position").values_list("title", flat=True)
    )


def test_moves_to_top_middle_and_bottom(team: Team) -> None:
    cards = {title: make_card(team.member, team.todo, title) for title in "ABCDE"}
    assert _order(team.todo) == list("ABCDE")

    def move(title: str, **where: Any) -> None:
        card_move(
            actor=team.member,
            card_id=cards[title].pk,
            column_id=where.pop("column", team.todo.pk),
            **where,
        )

    move("E", before=cards["A"].pk)
    assert _order(team.todo) == list("EABCD")
    move("E", after=cards["B"].pk)
    assert _order(team.todo) == list("ABECD")
    move("A")
    assert _order(team.todo) == list("BECDA")
    move("C", before=cards["E"].pk)
    assert _order(team.todo) == list("BCEDA")
    move("D", before=cards["B"].pk)
    assert _order(team.todo) == list("DBCEA")
    move("B", column=team.done.pk)
    move("A", column=team.done.pk, before=cards["B"].pk)
    move("E", column=team.done.pk, after=cards["A"].pk)
    assert (_order(team.todo), _order(team.done)) == (list("DC"), list("AEB"))
    # Moving a card to where it already is keeps the order.
    move("C", after=cards["D"].pk)
    assert _order(team.todo) == list("DC")


def test_cards_are_created_at_their_anchor(team: Team) -> None:
    first = make_card(team.member, team.todo, "first")
    last = make_card(team.member, team.todo, "last")
    card_create(actor=team.member, column_id=team.todo.pk, title="middle", after=first.pk)
    card_create(actor=team.member, column_id=team.todo.pk, title="top", before=first.pk)
    card_create(actor=team.member, column_id=team.todo.pk, title="penultimate", before=last.pk)
    assert _order(team.todo) == ["top", "first", "middle", "penultimate", "last"]


@pytest.mark.parametrize("seed", [1, 2])
def test_many_random_moves_keep_a_strict_order(team: Team, seed: int) -> None:
    rng = random.Random(seed)
    columns = [team.todo, team.done]
    model: dict[int, list[int]] = {column.pk: [] for column in columns}
    for i in range(12):
        column = columns[i % 2]
        model[column.pk].append(make_card(team.member, column, f"c{i}").pk)
    for _ in range(80):
        card_id = rng.choice([c for ids in model.values() for c in ids])
        source = next(col for col, ids in model.items() if card_id in ids)
        target = rng.choice(columns).pk
        model[source].remove(card_id)
        siblings = model[target]
        index = rng.randint(0, len(siblings))
        where: dict[str, int] = {}
        # Anchor on a neighbour, as a drag-and-drop client would, or on nothing (last).
        if index < len(siblings) and rng.random() < 0.5:
            where["before"] = siblings[index]
        elif index > 0:
            where["after"] = siblings[index - 1]
        else:
            index = len(siblings)
        card_move(actor=team.member, card_id=card_id, column_id=target, **where)
        siblings.insert(index, card_id)
    for column in columns:
        rows = list(
            Card.objects.filter(column=column).order_by("position").values_list("pk", "position")
        )
        assert [pk for pk, _ in rows] == model[column.pk]
        positions = [position for _, position in rows]
        assert positions == sorted(set(positions))
        assert max(map(len, positions)) < 40


def test_the_database_orders_keys_like_python(team: Team) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, collation_name FROM information_schema.columns "
            "WHERE column_name = 'position' AND table_name IN ('collab_card', 'collab_column')"
        )
        assert dict(cursor.fetchall()) == {"collab_card": "C", "collab_column": "C"}
    first = make_card(team.member, team.todo, "0")
    top = first
    for i in range(70):
        top = card_create(actor=team.member, column_id=team.todo.pk, title=f"-{i}", before=top.pk)
    for i in range(70):
        make_card(team.member, team.todo, f"+{i}")
    rows = list(
        Card.objects.filter(column=team.todo).order_by("position").values_list("title", "position")
    )
    positions = [position for _, position in rows]
    assert positions == sorted(positions)
    assert any(p.startswith("Y") for p in positions) and any(p.startswith("b") for p in positions)
    assert [title for title, _ in rows] == [f"-{i}" for i in reversed(range(70))] + ["0"] + [
        f"+{i}" for i in range(70)
    ]
    for i in range(3):
        column_create(actor=team.admin, board_id=team.board.pk, title=f"L{i}", before=team.todo.pk)
    columns = list(
        Column.objects.filter(board=team.board)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert columns == sorted(columns) and columns[0] < "a0"


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_never_collide(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collab.events, "publish_board_event", lambda *args: None)
    ids = [make_card(team.member, team.todo, f"c{i}").pk for i in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def mover(actor: Any, seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(25):
                card_id, anchor = rng.sample(ids, 2)
                where = {"after": anchor} if rng.random() < 0.5 else {"before": anchor}
                column = rng.choice([team.todo, team.done])
                # The anchor may have moved away meanwhile: the service then refuses it.
                try:
                    card_move(actor=actor, card_id=card_id, column_id=column.pk, **where)
                except ValidationFailed:
                    card_move(actor=actor, card_id=card_id, column_id=column.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=mover, args=(user, seed))
        for seed, user in enumerate([team.member, team.admin])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for column in (team.todo, team.done):
        positions = list(
            Card.objects.filter(column=column)
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert positions == sorted(set(positions))
    assert Card.objects.filter(pk__in=ids).count() == len(ids)


def test_a_spot_reordered_too_often_gets_a_clear_conflict(team, monkeypatch):
    """Past the column width, inserting at the same spot is refused, not a DB error."""
    from collab.exceptions import Conflict
    from collab.services import guards

    first = make_card(team.member, team.todo, "first")
    make_card(team.member, team.todo, "second")
    monkeypatch.setattr(guards, "MAX_KEY_LENGTH", 3)
    with pytest.raises(Conflict):
        for i in range(30):
            make_card(team.member, team.todo, f"squeezed {i}", after=first.pk)
