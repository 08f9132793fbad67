"""The event registry is the one list of event names: server, services and front end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collab import event_types
from collab.event_types import REGISTRY, EventType, Payload
from collab.events import record_event
from collab.models import Board
from tests.conftest import Team

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(
    r"""["'](?:board|column|card|comment|member|label)\."""
    r"""(?:created|updated|moved|deleted|archived|hidden|added|removed|locked|unlocked)["']"""
)


def _typescript_union() -> set[str]:
    source = (ROOT / "frontend/src/realtime/protocol.ts").read_text()
    block = re.search(r"export type EventName =(.*?);", source, re.S)
    assert block, "protocol.ts has no EventName union"
    return set(re.findall(r'"([a-z.]+)"', block.group(1)))


def test_the_typescript_union_equals_the_registry() -> None:
    assert _typescript_union() == set(REGISTRY)


def test_every_registered_type_is_exported_once_under_its_constant_name() -> None:
    constants = {
        name: value for name, value in vars(event_types).items() if isinstance(value, EventType)
    }
    assert {value.name for value in constants.values()} == set(REGISTRY)
    for constant, value in constants.items():
        assert constant == value.name.replace(".", "_").upper()
        assert REGISTRY[value.name] is value


def test_deletes_and_removals_carry_only_an_id() -> None:
    for event in REGISTRY.values():
        ends_with_gone = event.name.endswith((".deleted", ".removed"))
        assert (event.payload is Payload.ID) == ends_with_gone, event


@pytest.mark.parametrize("package", ["collab", "realtime", "api", "accounts", "project"])
def test_no_module_spells_an_event_name_but_the_registry(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "event_types.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _NAME.search(line)
    ]
    assert offenders == []


def test_record_event_refuses_a_bare_string(team: Team) -> None:
    board = Board.objects.get(pk=team.board.pk)
    with pytest.raises(TypeError):
        record_event(board=board, event="card.created", data={}, actor=None)  # type: ignore[arg-type]
