"""Fixtures of the domain tests: the publishing boundary, recorded instead of sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

import collab.events
from collab.exceptions import CorkboardError
from collab.models import Board, Card, Column, Comment, Event, Label, Membership, Report, Workspace


@dataclass(frozen=True)
class Published:
    """One call to ``publish_board_event``: the board, the seq and the decoded frame."""

    board_id: int
    seq: int
    frame: dict[str, Any]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Published]:
    """Record what the outbox publishes, instead of sending it to the channel layer."""
    sent: list[Published] = []

    def record(board_id: int, seq: int, *rest: Any) -> None:
        # The frame is the JSON object among the arguments, whatever else they carry.
        frame = next(arg for arg in rest if isinstance(arg, str) and arg.startswith("{"))
        sent.append(Published(board_id, seq, json.loads(frame)))

    monkeypatch.setattr(collab.events, "publish_board_event", record)
    return sent


def _database_state() -> dict[str, list[Any]]:
    """Return every domain row, to prove that a refused write changed nothing."""
    models = (Workspace, Membership, Board, Column, Card, Label, Comment, Event, Report)
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    state["assignees"] = list(Card.assignees.through.objects.order_by("pk").values())
    state["labels"] = list(Card.labels.through.objects.order_by("pk").values())
    return state


@contextmanager
def refused(
    error: type[CorkboardError],
    *,
    field: str | None = None,
    published: list[Published] | None = None,
) -> Iterator[pytest.ExceptionInfo[CorkboardError]]:
    """Expect the block to raise ``error`` (naming ``field``) and leave the database as it was.

    Enter it inside ``django_capture_on_commit_callbacks`` or pass ``published`` to also
    check that nothing was published.
    """
    before = _database_state()
    with pytest.raises(error) as caught:
        yield caught
    if field is not None:
        assert caught.value.detail is not None, caught.value
        assert field in caught.value.detail, caught.value.detail
        assert caught.value.detail[field], caught.value.detail
    assert _database_state() == before
    if published is not None:
        assert published == []
