"""Board export and import: a round trip keeps the board, a bad document writes nothing."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder

from collab.exceptions import Forbidden, NotFound, ValidationFailed
from collab.models import Board, Card, Column, Comment, Event, Label, Role, Workspace
from collab.selectors import board_snapshot, event_list
from collab.services.boards import board_set_locked
from collab.services.cards import card_archive, card_move, card_update
from collab.services.columns import column_move
from collab.services.comments import comment_set_hidden, comment_update
from collab.services.labels import label_create
from collab.services.transfer import FORMAT, board_document_read, board_export, board_import
from tests.collab.conftest import Published, refused
from tests.collab.reducer import fold
from tests.conftest import Team
from tests.factories import (
    add_member,
    make_card,
    make_column,
    make_comment,
    make_user,
    make_workspace,
)

DUE = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)


def _rich_board(team: Team) -> Board:
    """Fill the team's board with every kind of item and a history of changes."""
    doing = make_column(team.owner, team.board, "Doing")
    column_move(actor=team.owner, column_id=doing.pk, after=team.todo.pk)
    bug = label_create(actor=team.owner, board_id=team.board.pk, name="bug", color="#aa0000")
    ux = label_create(actor=team.owner, board_id=team.board.pk, name="UX", color="#00aa00")
    first = make_card(team.member, team.todo, "Write the plan", description="**Now**")
    second = make_card(
        team.member,
        team.todo,
        "Ship it",
        labels=[bug.pk, ux.pk],
        assignees=[team.member.pk, team.admin.pk],
        due_at=DUE,
    )
    card_move(actor=team.member, card_id=second.pk, column_id=team.todo.pk, before=first.pk)
    moved = make_card(team.admin, team.todo, "Review")
    card_move(actor=team.admin, card_id=moved.pk, column_id=doing.pk)
    card_update(actor=team.member, card_id=first.pk, title="Write the plan, v2", labels=[ux.pk])
    gone = make_card(team.member, team.done, "Old news")
    card_archive(actor=team.member, card_id=gone.pk)
    make_card(team.member, team.done, "Done already", assignees=[team.viewer.pk])
    edited = make_comment(team.member, first, "First draft")
    comment_update(actor=team.member, comment_id=edited.pk, body="First draft, edited")
    make_comment(team.admin, first, "Looks good\nto me")
    hidden = make_comment(team.member, second, "Something rude")
    comment_set_hidden(actor=team.owner, comment_id=hidden.pk, hidden=True)
    board_set_locked(actor=team.owner, board_id=team.board.pk, locked=True)
    return Board.objects.get(pk=team.board.pk)


def _target(team: Team) -> Any:
    """Another workspace of the owner, where the team's admin, member and viewer are members."""
    workspace = make_workspace(team.owner, "Elsewhere")
    add_member(workspace, team.owner, team.admin, Role.ADMIN)
    add_member(workspace, team.owner, team.member, Role.MEMBER)
    add_member(workspace, team.owner, team.viewer, Role.VIEWER)
    return workspace


def _snapshot(user: Any, board_id: int) -> dict[str, Any]:
    data = board_snapshot(user=user, board_id=board_id)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _without_ids(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Return the snapshot with every id replaced by what the item is.

    Columns are named by position, labels by name; what is new on an imported board by
    nature (ids, seq, versions, the board's own times, the workspace's members) is left out.
    """
    columns = {column["id"]: column["position"] for column in snapshot["columns"]}
    labels = {label["id"]: label["name"] for label in snapshot["labels"]}
    new = {"id", "board", "workspace", "seq", "version"}
    return {
        "board": {
            key: value
            for key, value in snapshot["board"].items()
            if key not in new | {"created_at", "updated_at"}
        },
        "columns": [{k: v for k, v in c.items() if k not in new} for c in snapshot["columns"]],
        "labels": [
            {k: v for k, v in label.items() if k not in new} for label in snapshot["labels"]
        ],
        "cards": [
            {
                **{k: v for k, v in card.items() if k not in new},
                "column": columns[card["column"]],
                "labels": sorted(labels[label] for label in card["labels"]),
            }
            for card in sorted(
                snapshot["cards"], key=lambda card: (columns[card["column"]], card["position"])
            )
        ],
    }


def _canonical(document: dict[str, Any]) -> dict[str, Any]:
    """Return an export without history, its items in a natural order, numbered in it."""
    document = copy.deepcopy(document)
    columns = {column["id"]: column["position"] for column in document["columns"]}
    orders = {
        "columns": lambda column: column["position"],
        "labels": lambda label: label["name"],
        "cards": lambda card: (columns[card["column"]], card["position"]),
        "comments": lambda comment: (comment["created_at"], comment["body"]),
    }
    numbers: dict[str, dict[int, int]] = {}
    for kind, order in orders.items():
        document[kind].sort(key=order)
        numbers[kind] = {item["id"]: i for i, item in enumerate(document[kind], 1)}
        for item in document[kind]:
            item["id"] = numbers[kind][item["id"]]
    for card in document["cards"]:
        card["column"] = numbers["columns"][card["column"]]
        card["labels"] = sorted(numbers["labels"][label] for label in card["labels"])
    for comment in document["comments"]:
        comment["card"] = numbers["cards"][comment["card"]]
    return {k: v for k, v in document.items() if k not in ("exported_at", "history")}


def test_round_trip_gives_the_same_board_with_new_ids(team: Team) -> None:
    board = _rich_board(team)
    document = json.loads(json.dumps(board_export(board_id=board.pk)))
    assert document["format"] == FORMAT and document["version"] == 1
    assert [c["body"] for c in document["comments"]] == ["First draft, edited", "Looks good\nto me"]
    assert [e["seq"] for e in document["history"]] == list(range(1, board.seq + 1))

    result = board_import(actor=team.admin, workspace_id=_target(team).pk, data=document)

    new = result.board
    assert new.pk != board.pk and new.workspace_id != board.workspace_id
    assert _without_ids(_snapshot(team.owner, new.pk)) == _without_ids(
        _snapshot(team.owner, board.pk)
    )
    assert _canonical(board_export(board_id=new.pk)) == _canonical(document)
    old_ids = set(Card.objects.filter(board=board).values_list("pk", flat=True))
    assert old_ids.isdisjoint(Card.objects.filter(board=new).values_list("pk", flat=True))
    assert new.locked and new.created_by == team.admin
    assert result.notes == []


def test_history_is_new_seq_one_to_n_of_creation_events_with_new_ids(
    team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    board = _rich_board(team)
    target = _target(team)
    with django_capture_on_commit_callbacks(execute=True):
        result = board_import(
            actor=team.owner, workspace_id=target.pk, data=board_export(board_id=board.pk)
        )

    new = Board.objects.get(pk=result.board.pk)
    events = [{"seq": e.seq, "event": e.event, "data": e.data} for e in event_list(board_id=new.pk)]
    assert [e["seq"] for e in events] == list(range(1, new.seq + 1)) and new.seq == result.events
    rows = {
        "column.created": _ids(Column.objects.filter(board=new)),
        "label.created": _ids(Label.objects.filter(board=new)),
        "card.created": _ids(Card.objects.filter(board=new)),
        "comment.created": _ids(Comment.objects.filter(card__board=new)),
    }
    # One event per new row, naming it (and, for the board's rows, the new board).
    assert sorted(e["event"] for e in events) == sorted(k for k, ids in rows.items() for _ in ids)
    assert all(e["data"]["id"] in rows[e["event"]] for e in events)
    assert {e["data"]["board"] for e in events if "board" in e["data"]} == {new.pk}
    assert {e["data"]["column"] for e in events if "column" in e["data"]} <= rows["column.created"]
    assert Event.objects.filter(board=new, actor=team.owner).count() == len(events)
    # As for any board: the empty board folded with its history is its snapshot.
    fresh = _snapshot(team.owner, new.pk)
    empty = {**fresh, "seq": 0, "columns": [], "cards": [], "labels": []}
    empty["board"] = {**fresh["board"], "seq": 0}
    assert fold(empty, events) == fresh
    # Published once committed, in order.
    assert [(p.board_id, p.seq) for p in published] == [(new.pk, e["seq"]) for e in events]


def _ids(rows: Any) -> set[int]:
    return set(rows.values_list("pk", flat=True))


def test_users_are_matched_by_username_and_never_created(team: Team) -> None:
    carol = make_user("carol")
    card = make_card(team.member, team.todo, "Shared", assignees=[team.viewer.pk])
    make_comment(team.admin, card, "From the admin")
    document = board_export(board_id=team.board.pk)
    document["cards"][0]["created_by"] = "ghost"
    document["cards"][0]["assignees"] = ["carol", "ghost", "viewer"]
    # An id of its own whatever the sequence has reached (a fixed 999 can be the first's).
    other_id = document["comments"][0]["id"] + 1
    document["comments"].append({**document["comments"][0], "id": other_id, "author": "nobody"})
    target = make_workspace(team.owner, "Elsewhere")
    users_before = set(type(carol).objects.values_list("username", flat=True))

    result = board_import(actor=team.owner, workspace_id=target.pk, data=document)

    imported = Card.objects.get(board=result.board)
    assert imported.created_by is None and list(imported.assignees.all()) == []
    # The admin is no member of the target: authorship is history, it needs no membership.
    assert [c.author for c in Comment.objects.filter(card=imported)] == [team.admin]
    assert result.notes == [
        "cards[0].created_by: no user 'ghost' here; left empty.",
        "cards[0].assignees: 'carol' is not a member of this workspace; dropped.",
        "cards[0].assignees: 'ghost' is not a member of this workspace; dropped.",
        "cards[0].assignees: 'viewer' is not a member of this workspace; dropped.",
        "comments[1]: no user 'nobody' here; comment not imported.",
    ]
    assert set(type(carol).objects.values_list("username", flat=True)) == users_before


def _bad(path: str, change: Any) -> Any:
    """A mutation of a valid document that makes ``path`` invalid."""
    return pytest.param(change, path, id=path)


def _set(obj: dict[str, Any], key: str, value: Any) -> None:
    obj[key] = value


BAD_DOCUMENTS = [
    _bad("format", lambda d: _set(d, "format", "trello")),
    _bad("version", lambda d: _set(d, "version", 2)),
    _bad("exported_at", lambda d: d.pop("exported_at")),
    _bad("labels", lambda d: d.pop("labels")),
    _bad("columns", lambda d: _set(d, "columns", {"id": 1})),
    _bad("board.title", lambda d: _set(d["board"], "title", "   ")),
    _bad("board.locked", lambda d: _set(d["board"], "locked", "no")),
    _bad("columns[0].id", lambda d: _set(d["columns"][0], "id", "1")),
    _bad("columns[1].id", lambda d: _set(d["columns"][1], "id", d["columns"][0]["id"])),
    _bad("columns[0].title", lambda d: _set(d["columns"][0], "title", "nul\x00")),
    _bad("columns[0].position", lambda d: _set(d["columns"][0], "position", "!!")),
    _bad("columns[1].position", lambda d: _set(d["columns"][1], "position", "a1")),
    _bad("labels[0].color", lambda d: _set(d["labels"][0], "color", "red")),
    _bad("labels[1].name", lambda d: _set(d["labels"][1], "name", d["labels"][0]["name"])),
    _bad("cards[0].colour", lambda d: _set(d["cards"][0], "colour", "red")),
    _bad("cards[0].column", lambda d: _set(d["cards"][0], "column", 10**9)),
    _bad("cards[0].title", lambda d: _set(d["cards"][0], "title", "x" * 501)),
    _bad("cards[0].labels", lambda d: _set(d["cards"][0], "labels", 1)),
    _bad("cards[0].labels[0]", lambda d: _set(d["cards"][0], "labels", [10**9])),
    _bad("cards[0].assignees[1]", lambda d: _set(d["cards"][0], "assignees", ["bo", "bo"])),
    _bad("cards[0].assignees[0]", lambda d: _set(d["cards"][0], "assignees", [7])),
    _bad("cards[0].due_at", lambda d: _set(d["cards"][0], "due_at", "2030-05-17T09:30:00")),
    _bad("cards[0].created_at", lambda d: _set(d["cards"][0], "created_at", "2030-02-30T00:00Z")),
    _bad("cards[0].archived", lambda d: _set(d["cards"][0], "archived", 0)),
    _bad("cards[1].position", lambda d: _set(d["cards"][1], "position", d["cards"][0]["position"])),
    _bad("comments[0].card", lambda d: _set(d["comments"][0], "card", 10**9)),
    _bad("comments[0].body", lambda d: _set(d["comments"][0], "body", "")),
    _bad("comments[0].author", lambda d: _set(d["comments"][0], "author", None)),
    _bad("history[0].type", lambda d: _set(d["history"][0], "type", "card.exploded")),
    _bad("history[0].data", lambda d: _set(d["history"][0], "data", [])),
    _bad("history[1].seq", lambda d: _set(d["history"][1], "seq", 1)),
]


@pytest.fixture
def owned(db: None) -> tuple[Any, Workspace]:
    """An owner and their workspace, no more: the bad documents need no team."""
    owner = make_user("owner")
    return owner, make_workspace(owner, "Solo")


@pytest.mark.parametrize(("change", "path"), BAD_DOCUMENTS)
def test_a_bad_document_is_refused_naming_the_path_and_writes_nothing(
    owned: tuple[Any, Workspace], change: Any, path: str
) -> None:
    document = _document(columns=2, cards_per_column=2, comments=1)
    board_document_read(copy.deepcopy(document))  # valid before the change
    change(document)

    with refused(ValidationFailed, field=path) as caught:
        board_import(actor=owned[0], workspace_id=owned[1].pk, data=document)
    assert caught.value.message.startswith(f"{path}: ")


def test_a_document_that_is_not_an_object_is_refused(owned: tuple[Any, Workspace]) -> None:
    not_objects: list[Any] = [[], "board", None, 3]
    for data in not_objects:
        with refused(ValidationFailed, field="document"):
            board_import(actor=owned[0], workspace_id=owned[1].pk, data=data)


@pytest.mark.parametrize(
    ("role", "error"),
    [("member", Forbidden), ("viewer", Forbidden), ("outsider", NotFound)],
)
def test_only_admins_and_owners_import(team: Team, role: str, error: type[Exception]) -> None:
    document = board_export(board_id=team.board.pk)
    with refused(error):  # type: ignore[arg-type]
        board_import(actor=team.user(role), workspace_id=team.workspace.pk, data=document)


def _document(columns: int, cards_per_column: int, comments: int) -> dict[str, Any]:
    """Return a valid document of ``columns * cards_per_column`` cards, written by hand."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    when = [(start + timedelta(minutes=i)).isoformat() for i in range(comments + 1)]
    labels = [{"id": i, "name": f"label {i}", "color": f"#0000{i:02x}"} for i in range(1, 11)]
    cards = [
        {
            "id": 1000 * c + i,
            "column": c,
            "title": f"Card {c}.{i}",
            "description": f"Line one\n\n- item {i}",
            "position": f"a{i:x}" if i < 16 else f"b{i:02x}",
            "labels": [1 + (i % 10), 1 + ((i + 3) % 10)],
            "assignees": ["member"] if i % 2 else ["admin", "member"],
            "due_at": when[i % len(when)] if i % 3 else None,
            "archived": i % 17 == 0,
            "created_by": "member",
            "created_at": when[0],
            "updated_at": when[1],
        }
        for c in range(1, columns + 1)
        for i in range(cards_per_column)
    ]
    return {
        "format": FORMAT,
        "version": 1,
        "exported_at": when[-1],
        "board": {"title": "Big", "description": "", "locked": False},
        "columns": [
            {"id": c, "title": f"Column {c}", "position": f"a{c:x}"} for c in range(1, columns + 1)
        ],
        "labels": labels,
        "cards": cards,
        "comments": [
            {
                "id": n,
                "card": cards[n % len(cards)]["id"],
                "author": "admin",
                "body": f"Comment {n}",
                "created_at": when[n],
                "edited_at": None,
            }
            for n in range(1, comments + 1)
        ],
        "history": [
            {
                "seq": seq,
                "type": "column.created",
                "data": {"id": seq},
                "actor": None,
                "created_at": when[0],
            }
            for seq in (1, 2)
        ],
    }


def test_a_big_board_round_trips(team: Team) -> None:
    document = _document(columns=8, cards_per_column=30, comments=60)
    started = time.perf_counter()
    result = board_import(actor=team.owner, workspace_id=team.workspace.pk, data=document)
    elapsed = time.perf_counter() - started

    assert Card.objects.filter(board=result.board).count() == 240
    assert result.events == 8 + 10 + 240 + 60
    exported = board_export(board_id=result.board.pk)
    assert _canonical(exported) == _canonical(document)
    print(f"imported 240 cards, 60 comments, {result.events} events in {elapsed:.2f} s")


def test_export_and_import_commands(team: Team, tmp_path: Path) -> None:
    make_card(team.member, team.todo, "Card", assignees=[team.member.pk])
    out = StringIO()
    call_command("export_board", str(team.board.pk), stdout=out)
    document = json.loads(out.getvalue())
    assert document["cards"][0]["assignees"] == ["member"]
    path = tmp_path / "board.json"
    call_command("export_board", str(team.board.pk), "--output", str(path), stdout=StringIO())
    written = json.loads(path.read_text())
    assert {**written, "exported_at": None} == {**document, "exported_at": None}

    out, err = StringIO(), StringIO()
    call_command(
        "import_board", str(path), "--workspace", str(team.workspace.pk), stdout=out, stderr=err
    )
    board = Board.objects.get(pk=int(out.getvalue()))
    assert board.workspace == team.workspace and board.created_by == team.owner
    assert "history starts at seq 1" in err.getvalue()
    call_command(
        "import_board",
        str(path),
        "--workspace",
        str(team.workspace.pk),
        "--as-user",
        "admin",
        stdout=out,
        stderr=StringIO(),
    )
    assert Board.objects.filter(title="Roadmap", created_by=team.admin).count() == 1


def test_the_commands_refuse_bad_input_clearly(team: Team, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(board_export(board_id=team.board.pk)))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ')
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({**json.loads(good.read_text()), "columns": [{"id": 1}]}))
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"title": "café"}'.encode("latin-1"))
    workspace = str(team.workspace.pk)
    cases = [
        (["export_board", "999999"], "No board with id 999999."),
        (
            ["export_board", str(team.board.pk), "--output", str(tmp_path / "no" / "x.json")],
            "Cannot write",
        ),
        (["import_board", str(good), "--workspace", "999999"], "No workspace with id 999999."),
        (["import_board", str(tmp_path / "missing.json"), "--workspace", workspace], "Cannot read"),
        (
            ["import_board", str(broken), "--workspace", workspace],
            "is not valid JSON: Expecting value at line 1 column 12.",
        ),
        (["import_board", str(latin1), "--workspace", workspace], "is not UTF-8 text."),
        (
            ["import_board", str(schema), "--workspace", workspace],
            "columns[0].title: This field is required.",
        ),
        (
            ["import_board", str(good), "--workspace", workspace, "--as-user", "nobody"],
            "No active user named 'nobody'.",
        ),
        (
            ["import_board", str(good), "--workspace", workspace, "--as-user", "member"],
            "Nothing imported (as member): Your role (member) does not allow this.",
        ),
    ]
    boards = Board.objects.count()
    for args, message in cases:
        with pytest.raises(CommandError) as caught:
            call_command(*args, stdout=StringIO(), stderr=StringIO())
        assert message in str(caught.value), (args, caught.value)
    assert Board.objects.count() == boards
    assert not list((tmp_path).glob(".*.partial"))
