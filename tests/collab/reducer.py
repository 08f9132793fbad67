"""A pure model of a client's board store: fold events into a board snapshot.

The snapshot is shaped like :func:`collab.selectors.board_snapshot` (``board``,
``columns``, ``cards`` [not archived], ``labels``, ``members``, ``seq``). Applying an
event is idempotent: objects carrying a ``version`` are only replaced by a payload at
least as new, so replaying events the snapshot already includes is harmless.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Snapshot = dict[str, Any]
Handler = Callable[[Snapshot, dict[str, Any]], None]


def _is_stale(current: Mapping[str, Any] | None, incoming: Mapping[str, Any]) -> bool:
    """Return whether ``incoming`` is older than what the store already holds."""
    if current is None or "version" not in incoming:
        return False
    return int(current["version"]) > int(incoming["version"])


def _find(items: list[dict[str, Any]], object_id: Any) -> dict[str, Any] | None:
    return next((item for item in items if item["id"] == object_id), None)


def _upsert(items: list[dict[str, Any]], data: dict[str, Any]) -> None:
    current = _find(items, data["id"])
    if _is_stale(current, data):
        return
    items[:] = [item for item in items if item["id"] != data["id"]]
    items.append(copy.deepcopy(data))


def _remove(items: list[dict[str, Any]], object_id: Any) -> None:
    items[:] = [item for item in items if item["id"] != object_id]


def _board_changed(state: Snapshot, data: dict[str, Any]) -> None:
    if not _is_stale(state["board"], data):
        state["board"] = copy.deepcopy(data)


def _board_deleted(state: Snapshot, data: dict[str, Any]) -> None:
    state.update(board=None, columns=[], cards=[], labels=[], members=[], deleted=True)


def _column_changed(state: Snapshot, data: dict[str, Any]) -> None:
    _upsert(state["columns"], data)


def _column_deleted(state: Snapshot, data: dict[str, Any]) -> None:
    # The column's cards go with it, without events of their own.
    _remove(state["columns"], data["id"])
    state["cards"] = [card for card in state["cards"] if card["column"] != data["id"]]


def _card_changed(state: Snapshot, data: dict[str, Any]) -> None:
    if not data["archived"]:
        _upsert(state["cards"], data)
        return
    # An archived card leaves the board; a stale replay must not bring back a newer one.
    if not _is_stale(_find(state["cards"], data["id"]), data):
        _remove(state["cards"], data["id"])


def _card_deleted(state: Snapshot, data: dict[str, Any]) -> None:
    _remove(state["cards"], data["id"])


def _label_changed(state: Snapshot, data: dict[str, Any]) -> None:
    _upsert(state["labels"], data)


def _label_deleted(state: Snapshot, data: dict[str, Any]) -> None:
    # Cards lose the label without events of their own.
    _remove(state["labels"], data["id"])
    for card in state["cards"]:
        card["labels"] = [label for label in card["labels"] if label != data["id"]]


def _member_changed(state: Snapshot, data: dict[str, Any]) -> None:
    members = [m for m in state["members"] if m["user"]["id"] != data["user"]["id"]]
    state["members"] = [*members, copy.deepcopy(data)]


def _member_removed(state: Snapshot, data: dict[str, Any]) -> None:
    state["members"] = [m for m in state["members"] if m["user"]["id"] != data["id"]]


def _ignored(state: Snapshot, data: dict[str, Any]) -> None:
    """Leave the store unchanged: comments are not part of the board snapshot."""


HANDLERS: dict[str, Handler] = {
    "board.updated": _board_changed,
    "board.locked": _board_changed,
    "board.unlocked": _board_changed,
    "board.deleted": _board_deleted,
    "column.created": _column_changed,
    "column.updated": _column_changed,
    "column.moved": _column_changed,
    "column.deleted": _column_deleted,
    "card.created": _card_changed,
    "card.updated": _card_changed,
    "card.moved": _card_changed,
    "card.archived": _card_changed,
    "card.deleted": _card_deleted,
    "label.created": _label_changed,
    "label.updated": _label_changed,
    "label.deleted": _label_deleted,
    "member.added": _member_changed,
    "member.updated": _member_changed,
    "member.removed": _member_removed,
    "comment.created": _ignored,
    "comment.updated": _ignored,
    "comment.deleted": _ignored,
    "comment.hidden": _ignored,
}


def _sort(state: Snapshot) -> None:
    """Order the lists as the snapshot does (order keys compare byte by byte)."""
    state["columns"].sort(key=lambda column: column["position"])
    state["cards"].sort(key=lambda card: (card["column"], card["position"]))
    state["labels"].sort(key=lambda label: (label["name"], label["id"]))
    state["members"].sort(key=lambda member: member["user"]["username"])


def apply_event(snapshot: Snapshot, event: Mapping[str, Any]) -> Snapshot:
    """Return a new snapshot with ``event`` (``{"seq", "event", "data"}``) applied."""
    handler = HANDLERS.get(event["event"])
    if handler is None:
        raise ValueError(f"unknown event type {event['event']!r}")
    state = copy.deepcopy(snapshot)
    handler(state, dict(event["data"]))
    if state.get("deleted"):
        return state
    state["seq"] = max(int(state["seq"]), int(event["seq"]))
    state["board"]["seq"] = state["seq"]
    _sort(state)
    return state


def fold(snapshot: Snapshot, events: Iterable[Mapping[str, Any]]) -> Snapshot:
    """Return ``snapshot`` with ``events`` applied in order."""
    state = snapshot
    for event in events:
        state = apply_event(state, event)
    return state
