"""Old snapshot + its events = fresh snapshot, for random operations by every role.

Zulip's ``verify_action`` idea: whatever the services do, a client that folds the
events it receives into the snapshot it loaded ends with what it would load now.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from collab.exceptions import CorkboardError
from collab.models import Board, Card, Column, Comment, Label, Membership
from collab.selectors import board_snapshot, event_list
from collab.services.boards import board_set_locked, board_update
from collab.services.cards import card_archive, card_create, card_delete, card_move, card_update
from collab.services.columns import column_create, column_delete, column_move, column_update
from collab.services.comments import comment_create, comment_set_hidden
from collab.services.labels import label_create, label_delete, label_update
from collab.services.workspaces import member_add, member_remove, member_update
from tests.collab.reducer import Snapshot, apply_event, fold
from tests.conftest import Team
from tests.factories import make_card, make_user

OPERATIONS_PER_RUN = 200


@dataclass
class World:
    """The board under test, the people acting on it, and the random source."""

    team: Team
    rng: random.Random
    extras: list[Any]
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def board_id(self) -> int:
        return self.team.board.pk

    def actor(self) -> Any:
        """Return a random actor: mostly current members, weighted to those who write."""
        t = self.team
        if self.rng.random() < 0.1:
            return self.rng.choice([t.owner, t.admin, t.member, t.viewer, t.outsider, *self.extras])
        memberships = list(
            Membership.objects.filter(workspace=t.workspace).select_related("user").order_by("pk")
        )
        weights = {"owner": 2, "admin": 3, "member": 4, "viewer": 1}
        return self.rng.choices(
            [m.user for m in memberships], weights=[weights[m.role] for m in memberships]
        )[0]

    def ids(self, model: Any, **filters: Any) -> list[int]:
        return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))

    def columns(self) -> list[int]:
        return self.ids(Column, board_id=self.board_id)

    def cards(self, **filters: Any) -> list[int]:
        return self.ids(Card, board_id=self.board_id, **filters)

    def labels(self) -> list[int]:
        return self.ids(Label, board_id=self.board_id)

    def members(self) -> list[int]:
        return list(
            Membership.objects.filter(workspace=self.team.workspace).values_list(
                "user_id", flat=True
            )
        )

    def some(self, items: list[int], most: int = 3) -> list[int]:
        return self.rng.sample(items, self.rng.randint(0, min(most, len(items))))

    def title(self) -> Any:
        roll = self.rng.random()
        if roll < 0.04:
            return self.rng.choice(["", "   ", "nul\x00", "x" * 600, "\ud800"])
        words = ["Fix", "Ship", "Écrire", "review", "CI", "🎉", "Plan", "deploy", "API"]
        return " ".join(self.rng.choices(words, k=self.rng.randint(1, 4)))

    def placement(self, siblings: list[int], others: list[int]) -> dict[str, int]:
        """Return random ``after``/``before`` anchors, now and then a wrong one."""
        roll = self.rng.random()
        if roll < 0.05 and others:
            return {self.rng.choice(["after", "before"]): self.rng.choice(others)}
        if roll < 0.4 or not siblings:
            return {}
        return {self.rng.choice(["after", "before"]): self.rng.choice(siblings)}

    def target_user(self) -> Any:
        # Never the snapshot's owner, who must keep reading the board.
        t = self.team
        return self.rng.choice([t.admin, t.member, t.viewer, *self.extras])


Operation = Callable[[World, Any], Any]


def _card_create(w: World, actor: Any) -> Any:
    column = w.rng.choice(w.columns())
    siblings = w.cards(column_id=column)
    due = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=w.rng.randint(0, 10_000))
    return card_create(
        actor=actor,
        column_id=column,
        title=w.title(),
        description=w.rng.choice(["", "Some\nlines"]),
        assignees=w.some(w.members() + ([w.team.outsider.pk] if w.rng.random() < 0.05 else [])),
        labels=w.some(w.labels()),
        due_at=w.rng.choice([None, due]),
        **w.placement(siblings, w.cards(archived=False)),
    )


def _card_update(w: World, actor: Any) -> Any:
    fields: dict[str, Any] = {}
    for name, value in (
        ("title", w.title),
        ("description", lambda: w.rng.choice(["", "Updated\nbody"])),
        ("assignees", lambda: w.some(w.members())),
        ("labels", lambda: w.some(w.labels())),
        ("due_at", lambda: w.rng.choice([None, datetime(2031, 2, 3, 4, 5, tzinfo=UTC)])),
    ):
        if w.rng.random() < 0.4:
            fields[name] = value()
    return card_update(actor=actor, card_id=w.rng.choice(w.cards()), **fields)


def _card_move(w: World, actor: Any) -> Any:
    card = w.rng.choice(w.cards())
    column = w.rng.choice(w.columns())
    siblings = [c for c in w.cards(column_id=column) if c != card]
    return card_move(
        actor=actor,
        card_id=card,
        column_id=column,
        **w.placement(siblings, w.cards(archived=False)),
    )


def _card_archive(w: World, actor: Any) -> Any:
    return card_archive(actor=actor, card_id=w.rng.choice(w.cards()), archived=w.rng.random() < 0.6)


def _card_delete(w: World, actor: Any) -> Any:
    return card_delete(actor=actor, card_id=w.rng.choice(w.cards()))


def _column_create(w: World, actor: Any) -> Any:
    return column_create(
        actor=actor, board_id=w.board_id, title=w.title(), **w.placement(w.columns(), w.cards())
    )


def _column_update(w: World, actor: Any) -> Any:
    return column_update(actor=actor, column_id=w.rng.choice(w.columns()), title=w.title())


def _column_move(w: World, actor: Any) -> Any:
    column = w.rng.choice(w.columns())
    return column_move(
        actor=actor, column_id=column, **w.placement([c for c in w.columns() if c != column], [])
    )


def _column_delete(w: World, actor: Any) -> Any:
    columns = w.columns()
    if len(columns) <= 2:
        return _column_create(w, actor)
    return column_delete(actor=actor, column_id=w.rng.choice(columns))


def _label_create(w: World, actor: Any) -> Any:
    color = w.rng.choice(["#FF0000", "#00aa00", "#123456", "blue"])
    return label_create(
        actor=actor, board_id=w.board_id, name=w.rng.choice(["Bug", "UX", "p1", "Zed"]), color=color
    )


def _label_update(w: World, actor: Any) -> Any:
    labels = w.labels()
    if not labels:
        return _label_create(w, actor)
    name = w.rng.choice([None, "Bug", "Later", "a", "Zz", "mid"])
    color = w.rng.choice([None, "#abcdef", "#ABCDEF"])
    return label_update(actor=actor, label_id=w.rng.choice(labels), name=name, color=color)


def _label_delete(w: World, actor: Any) -> Any:
    labels = w.labels()
    if not labels:
        return _label_create(w, actor)
    return label_delete(actor=actor, label_id=w.rng.choice(labels))


def _member_add(w: World, actor: Any) -> Any:
    user = w.target_user()
    role = w.rng.choice(["viewer", "member", "admin", "owner"])
    return member_add(
        actor=actor, workspace_id=w.team.workspace.pk, username=user.username, role=role
    )


def _member_update(w: World, actor: Any) -> Any:
    role = w.rng.choice(["viewer", "member", "member", "admin", "owner"])
    return member_update(
        actor=actor, workspace_id=w.team.workspace.pk, user_id=w.target_user().pk, role=role
    )


def _member_remove(w: World, actor: Any) -> Any:
    return member_remove(actor=actor, workspace_id=w.team.workspace.pk, user_id=w.target_user().pk)


def _board_update(w: World, actor: Any) -> Any:
    description = w.rng.choice([None, "", "Goals\n- ship"])
    return board_update(actor=actor, board_id=w.board_id, title=w.title(), description=description)


def _board_lock(w: World, actor: Any) -> Any:
    return board_set_locked(actor=actor, board_id=w.board_id, locked=w.rng.random() < 0.4)


def _comment(w: World, actor: Any) -> Any:
    comments = w.ids(Comment, card__board_id=w.board_id)
    if comments and w.rng.random() < 0.3:
        return comment_set_hidden(
            actor=actor, comment_id=w.rng.choice(comments), hidden=w.rng.random() < 0.7
        )
    return comment_create(actor=actor, card_id=w.rng.choice(w.cards()), body=w.title())


OPERATIONS: list[tuple[int, Operation]] = [
    (14, _card_create),
    (10, _card_update),
    (12, _card_move),
    (5, _card_archive),
    (3, _card_delete),
    (3, _column_create),
    (3, _column_update),
    (3, _column_move),
    (1, _column_delete),
    (3, _label_create),
    (3, _label_update),
    (2, _label_delete),
    (3, _member_add),
    (3, _member_update),
    (2, _member_remove),
    (2, _board_update),
    (2, _board_lock),
    (3, _comment),
]


def _step(world: World) -> None:
    """Run one random operation; a refused one must leave the board's seq alone."""
    weights, operations = zip(*OPERATIONS, strict=True)
    operation = world.rng.choices(operations, weights=weights)[0]
    actor = world.actor()
    if not world.cards():
        operation = _card_create
    seq = Board.objects.get(pk=world.board_id).seq
    try:
        operation(world, actor)
    except CorkboardError as error:
        assert Board.objects.get(pk=world.board_id).seq == seq, (operation.__name__, error)
        outcome = f"{operation.__name__}:{type(error).__name__}"
    else:
        outcome = f"{operation.__name__}:ok"
    world.outcomes[outcome] = world.outcomes.get(outcome, 0) + 1


def _snapshot(team: Team) -> Snapshot:
    """Return the board's snapshot as plain JSON data, as a client receives it."""
    data = board_snapshot(user=team.owner, board_id=team.board.pk)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _events(team: Team, after: int) -> list[dict[str, Any]]:
    return [
        {"seq": e.seq, "event": e.event, "data": e.data}
        for e in event_list(board_id=team.board.pk, after=after)
    ]


def _canonical(snapshot: Snapshot) -> Snapshot:
    """Order what the server orders by collation-dependent names by id instead."""
    return {
        **snapshot,
        "columns": sorted(snapshot["columns"], key=lambda c: c["position"]),
        "cards": sorted(snapshot["cards"], key=lambda c: (c["column"], c["position"])),
        "labels": sorted(snapshot["labels"], key=lambda label: label["id"]),
        "members": sorted(snapshot["members"], key=lambda m: m["user"]["id"]),
    }


def _assert_converges(start: Snapshot, events: list[dict[str, Any]], fresh: Snapshot) -> None:
    folded = _canonical(fold(start, events))
    assert folded["seq"] == fresh["seq"] == folded["board"]["seq"]
    for key in ("board", "members", "labels", "columns", "cards"):
        assert folded[key] == fresh[key], key
    assert folded == fresh


@pytest.mark.parametrize("seed", [11, 23, 42])
def test_snapshot_plus_events_equals_fresh_snapshot(team: Team, seed: int) -> None:
    extras = [make_user(f"extra{seed}_{i}") for i in range(3)]
    world = World(team=team, rng=random.Random(seed), extras=extras)
    for i in range(6):
        make_card(team.member, team.todo if i % 2 else team.done, f"Before {i}")
    for _ in range(10):
        _step(world)

    start = _snapshot(team)
    for _ in range(OPERATIONS_PER_RUN // 2):
        _step(world)
    middle = _snapshot(team)
    for _ in range(OPERATIONS_PER_RUN - OPERATIONS_PER_RUN // 2):
        _step(world)
    fresh = _snapshot(team)

    # The server already orders columns and cards by their keys, byte by byte.
    assert fresh["columns"] == sorted(fresh["columns"], key=lambda c: c["position"])
    assert fresh["cards"] == sorted(fresh["cards"], key=lambda c: (c["column"], c["position"]))
    fresh = _canonical(fresh)

    events = _events(team, after=start["seq"])
    assert [e["seq"] for e in events] == list(range(start["seq"] + 1, fresh["seq"] + 1))
    _assert_converges(start, events, fresh)
    _assert_converges(middle, _events(team, after=middle["seq"]), fresh)
    # Every event applied twice: payload versions make a repeat harmless.
    _assert_converges(start, [e for e in events for _ in range(2)], fresh)
    # A snapshot may already include the first events replayed after it.
    _assert_converges(middle, _events(team, after=start["seq"]), fresh)

    # The run exercised the services, accepted and refused.
    succeeded = sum(n for outcome, n in world.outcomes.items() if outcome.endswith(":ok"))
    assert succeeded > OPERATIONS_PER_RUN // 2, " ".join(
        f"{k}={v}" for k, v in sorted(world.outcomes.items())
    )
    assert len(events) > OPERATIONS_PER_RUN // 2
    kinds = {e["event"] for e in events}
    assert {
        "card.created",
        "card.moved",
        "card.updated",
        "column.moved",
        "member.added",
    } <= kinds, kinds


def test_every_event_applied_twice_in_a_row_is_harmless(team: Team) -> None:
    start = _snapshot(team)
    card = make_card(team.member, team.todo, "A")
    card_update(actor=team.member, card_id=card.pk, title="B")
    card_archive(actor=team.member, card_id=card.pk)
    events = _events(team, after=start["seq"])
    state = start
    for event in events:
        once = apply_event(state, event)
        assert apply_event(once, event) == once
        state = once
    # A stale replay of an older version never overwrites a newer one.
    card_archive(actor=team.member, card_id=card.pk, archived=False)
    latest = fold(state, _events(team, after=events[-1]["seq"]))
    assert fold(latest, events[:2]) == latest
