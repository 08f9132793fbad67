"""Every event the services emit: one row, the next seq, the REST payload, sent after commit."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

import collab.events
from collab.models import Board, Card, Column, Comment, Event, Label, Membership
from collab.representations import (
    BoardSerializer,
    CardSerializer,
    ColumnSerializer,
    CommentSerializer,
    LabelSerializer,
    MemberSerializer,
    represent,
)
from collab.services.boards import board_delete, board_set_locked, board_update
from collab.services.cards import card_archive, card_create, card_delete, card_move, card_update
from collab.services.columns import column_create, column_delete, column_move, column_update
from collab.services.comments import (
    comment_create,
    comment_delete,
    comment_set_hidden,
    comment_update,
)
from collab.services.labels import label_create, label_delete, label_update
from collab.services.workspaces import member_add, member_remove, member_update
from tests.collab.conftest import Published
from tests.collab.reducer import HANDLERS
from tests.conftest import Team
from tests.factories import make_board, make_card, make_comment, make_user

CONTRACT_EVENTS = {
    "board.updated", "board.deleted", "board.locked", "board.unlocked",
    "column.created", "column.updated", "column.moved", "column.deleted",
    "card.created", "card.updated", "card.moved", "card.archived", "card.deleted",
    "comment.created", "comment.updated", "comment.deleted", "comment.hidden",
    "member.added", "member.updated", "member.removed",
    "label.created", "label.updated", "label.deleted",
}  # fmt: skip


@dataclass
class Prepared:
    """A service call ready to run, who runs it, and the payload its event must carry."""

    event: str
    actor: Any
    act: Callable[[], Any]
    expected: Callable[[Any], dict[str, Any]]
    boards: list[Board] = field(default_factory=list)


def _fresh_card(card: Card) -> dict[str, Any]:
    return represent(CardSerializer, Card.objects.get(pk=card.pk))


def _board_updated(team: Team) -> Prepared:
    return Prepared(
        "board.updated",
        team.admin,
        lambda: board_update(
            actor=team.admin, board_id=team.board.pk, title="Q3", description="Plan\n"
        ),
        lambda board: represent(BoardSerializer, Board.objects.get(pk=board.pk)),
    )


def _board_locked(team: Team) -> Prepared:
    return Prepared(
        "board.locked",
        team.admin,
        lambda: board_set_locked(actor=team.admin, board_id=team.board.pk, locked=True),
        lambda board: represent(BoardSerializer, Board.objects.get(pk=board.pk)),
    )


def _board_unlocked(team: Team) -> Prepared:
    board_set_locked(actor=team.owner, board_id=team.board.pk, locked=True)
    return Prepared(
        "board.unlocked",
        team.owner,
        lambda: board_set_locked(actor=team.owner, board_id=team.board.pk, locked=False),
        lambda board: represent(BoardSerializer, Board.objects.get(pk=board.pk)),
    )


def _board_deleted(team: Team) -> Prepared:
    board_id = team.board.pk
    return Prepared(
        "board.deleted",
        team.admin,
        lambda: board_delete(actor=team.admin, board_id=board_id),
        lambda _: {"id": board_id},
    )


def _column_created(team: Team) -> Prepared:
    return Prepared(
        "column.created",
        team.admin,
        lambda: column_create(
            actor=team.admin, board_id=team.board.pk, title="Doing", after=team.todo.pk
        ),
        lambda column: represent(ColumnSerializer, Column.objects.get(pk=column.pk)),
    )


def _column_updated(team: Team) -> Prepared:
    return Prepared(
        "column.updated",
        team.admin,
        lambda: column_update(actor=team.admin, column_id=team.todo.pk, title="Backlog"),
        lambda column: represent(ColumnSerializer, Column.objects.get(pk=column.pk)),
    )


def _column_moved(team: Team) -> Prepared:
    return Prepared(
        "column.moved",
        team.owner,
        lambda: column_move(actor=team.owner, column_id=team.done.pk, before=team.todo.pk),
        lambda column: represent(ColumnSerializer, Column.objects.get(pk=column.pk)),
    )


def _column_deleted(team: Team) -> Prepared:
    make_card(team.member, team.done, "Goes with its column")
    column_id = team.done.pk
    return Prepared(
        "column.deleted",
        team.admin,
        lambda: column_delete(actor=team.admin, column_id=column_id),
        lambda _: {"id": column_id},
    )


def _card_created(team: Team) -> Prepared:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Bug", color="#FF0000")
    make_card(team.member, team.todo, "First")
    # A non-UTC due date: the payload must show it exactly as a later GET does.
    due = datetime(2030, 5, 17, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    return Prepared(
        "card.created",
        team.member,
        lambda: card_create(
            actor=team.member,
            column_id=team.todo.pk,
            title="  Second  ",
            description="Line one\nLine two",
            assignees=[team.member.pk, team.admin.pk],
            labels=[label.pk],
            due_at=due,
        ),
        _fresh_card,
    )


def _card_updated(team: Team) -> Prepared:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Bug")
    card = make_card(team.member, team.todo, "Draft", assignees=[team.viewer.pk])
    return Prepared(
        "card.updated",
        team.member,
        lambda: card_update(
            actor=team.member,
            card_id=card.pk,
            title="Final",
            description="Done when merged",
            assignees=[team.owner.pk, team.member.pk],
            labels=[label.pk],
            due_at=datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
            expected_version=1,
        ),
        _fresh_card,
    )


def _card_restored(team: Team) -> Prepared:
    card = make_card(team.member, team.todo, "Archived")
    card_archive(actor=team.member, card_id=card.pk)
    return Prepared(
        "card.updated",
        team.member,
        lambda: card_archive(actor=team.member, card_id=card.pk, archived=False),
        _fresh_card,
    )


def _card_moved(team: Team) -> Prepared:
    card = make_card(team.member, team.todo, "Moving")
    first = make_card(team.member, team.done, "There first")
    return Prepared(
        "card.moved",
        team.member,
        lambda: card_move(
            actor=team.member, card_id=card.pk, column_id=team.done.pk, before=first.pk
        ),
        _fresh_card,
    )


def _card_archived(team: Team) -> Prepared:
    card = make_card(team.member, team.todo, "Old")
    return Prepared(
        "card.archived",
        team.member,
        lambda: card_archive(actor=team.member, card_id=card.pk),
        _fresh_card,
    )


def _card_deleted(team: Team) -> Prepared:
    card = make_card(team.member, team.todo, "Gone")
    make_comment(team.member, card)
    return Prepared(
        "card.deleted",
        team.member,
        lambda: card_delete(actor=team.member, card_id=card.pk),
        lambda _: {"id": card.pk},
    )


def _fresh_comment(comment: Comment) -> dict[str, Any]:
    return represent(CommentSerializer, Comment.objects.get(pk=comment.pk))


def _comment_created(team: Team) -> Prepared:
    card = make_card(team.member, team.todo)
    return Prepared(
        "comment.created",
        team.member,
        lambda: comment_create(actor=team.member, card_id=card.pk, body="Looks good\n- me"),
        _fresh_comment,
    )


def _comment_updated(team: Team) -> Prepared:
    comment = make_comment(team.member, make_card(team.member, team.todo))
    return Prepared(
        "comment.updated",
        team.member,
        lambda: comment_update(actor=team.member, comment_id=comment.pk, body="Edited"),
        _fresh_comment,
    )


def _comment_unhidden(team: Team) -> Prepared:
    comment = make_comment(team.member, make_card(team.member, team.todo))
    comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True)
    return Prepared(
        "comment.updated",
        team.admin,
        lambda: comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=False),
        _fresh_comment,
    )


def _comment_deleted(team: Team) -> Prepared:
    comment = make_comment(team.member, make_card(team.member, team.todo))
    return Prepared(
        "comment.deleted",
        team.admin,
        lambda: comment_delete(actor=team.admin, comment_id=comment.pk),
        lambda _: {"id": comment.pk},
    )


def _comment_hidden(team: Team) -> Prepared:
    comment = make_comment(team.member, make_card(team.member, team.todo), "Rude")
    return Prepared(
        "comment.hidden",
        team.admin,
        lambda: comment_set_hidden(actor=team.admin, comment_id=comment.pk, hidden=True),
        _fresh_comment,
    )


def _every_board(team: Team) -> list[Board]:
    """Add a second board: member events go to every board of the workspace."""
    return [team.board, make_board(team.owner, team.workspace, "Second")]


def _fresh_member(membership: Membership) -> dict[str, Any]:
    return represent(MemberSerializer, Membership.objects.get(pk=membership.pk))


def _member_added(team: Team) -> Prepared:
    newcomer = make_user("newcomer")
    return Prepared(
        "member.added",
        team.admin,
        lambda: member_add(
            actor=team.admin,
            workspace_id=team.workspace.pk,
            username=newcomer.username,
            role="member",
        ),
        _fresh_member,
        _every_board(team),
    )


def _member_updated(team: Team) -> Prepared:
    return Prepared(
        "member.updated",
        team.admin,
        lambda: member_update(
            actor=team.admin, workspace_id=team.workspace.pk, user_id=team.member.pk, role="viewer"
        ),
        _fresh_member,
        _every_board(team),
    )


def _member_removed(team: Team) -> Prepared:
    return Prepared(
        "member.removed",
        team.admin,
        lambda: member_remove(
            actor=team.admin, workspace_id=team.workspace.pk, user_id=team.viewer.pk
        ),
        lambda _: {"id": team.viewer.pk},
        _every_board(team),
    )


def _member_left(team: Team) -> Prepared:
    return Prepared(
        "member.removed",
        team.member,
        lambda: member_remove(
            actor=team.member, workspace_id=team.workspace.pk, user_id=team.member.pk
        ),
        lambda _: {"id": team.member.pk},
        _every_board(team),
    )


def _fresh_label(label: Label) -> dict[str, Any]:
    return represent(LabelSerializer, Label.objects.get(pk=label.pk))


def _label_created(team: Team) -> Prepared:
    return Prepared(
        "label.created",
        team.admin,
        lambda: label_create(
            actor=team.admin, board_id=team.board.pk, name="Urgent", color="#AABBCC"
        ),
        _fresh_label,
    )


def _label_updated(team: Team) -> Prepared:
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Urgent")
    return Prepared(
        "label.updated",
        team.admin,
        lambda: label_update(actor=team.admin, label_id=label.pk, name="Later", color="#00ff00"),
        _fresh_label,
    )


def _label_deleted(team: Team) -> Prepared:
    # No card has it: a card that had one is also announced (tests/collab/test_history_privacy.py).
    label = label_create(actor=team.admin, board_id=team.board.pk, name="Urgent")
    return Prepared(
        "label.deleted",
        team.admin,
        lambda: label_delete(actor=team.admin, label_id=label.pk),
        lambda _: {"id": label.pk},
    )


CASES: dict[str, Callable[[Team], Prepared]] = {
    "board.updated": _board_updated,
    "board.locked": _board_locked,
    "board.unlocked": _board_unlocked,
    "board.deleted": _board_deleted,
    "column.created": _column_created,
    "column.updated": _column_updated,
    "column.moved": _column_moved,
    "column.deleted": _column_deleted,
    "card.created": _card_created,
    "card.updated": _card_updated,
    "card.updated(restore)": _card_restored,
    "card.moved": _card_moved,
    "card.archived": _card_archived,
    "card.deleted": _card_deleted,
    "comment.created": _comment_created,
    "comment.updated": _comment_updated,
    "comment.updated(unhide)": _comment_unhidden,
    "comment.deleted": _comment_deleted,
    "comment.hidden": _comment_hidden,
    "member.added": _member_added,
    "member.updated": _member_updated,
    "member.removed": _member_removed,
    "member.removed(leave)": _member_left,
    "label.created": _label_created,
    "label.updated": _label_updated,
    "label.deleted": _label_deleted,
}


def _seqs(boards: list[Board]) -> dict[int, int]:
    return dict(Board.objects.filter(pk__in=[b.pk for b in boards]).values_list("pk", "seq"))


def test_cases_cover_every_event_the_services_emit() -> None:
    sources = Path(collab.events.__file__).parent.joinpath("services").glob("*.py")
    emitted = {
        name
        for path in sources
        for name in re.findall(
            r'"((?:board|column|card|comment|member|label)\.[a-z]+)"', path.read_text()
        )
    }
    covered = {case.split("(")[0] for case in CASES}
    assert emitted <= covered
    assert covered == CONTRACT_EVENTS
    assert set(HANDLERS) == CONTRACT_EVENTS


@pytest.mark.parametrize("case", list(CASES))
def test_event_is_recorded_once_and_published_after_commit(
    case: str, team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    prepared = CASES[case](team)
    boards = prepared.boards or [team.board]
    before = _seqs(boards)
    events_before = Event.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = prepared.act()
        assert published == [], "published before the transaction committed"
    expected = prepared.expected(result)

    # One publish per board; a change that concerns someone also publishes their
    # notifications (collab.notify), in a callback of its own.
    assert len(published) == len(boards) <= len(callbacks)
    assert sorted((p.board_id, p.seq) for p in published) == sorted(
        (board.pk, before[board.pk] + 1) for board in boards
    )
    for message in published:
        assert message.frame["type"] == "event"
        assert message.frame["board"] == message.board_id
        assert message.frame["seq"] == message.seq
        assert message.frame["event"] == prepared.event
        assert message.frame["data"] == expected
        assert message.frame["actor"] == {
            "id": prepared.actor.pk,
            "username": prepared.actor.username,
        }

    if prepared.event == "board.deleted":
        # The board's history goes with it; subscribers still hear of the deletion.
        assert not Board.objects.filter(pk=team.board.pk).exists()
        assert not Event.objects.filter(board_id=team.board.pk).exists()
        return
    assert _seqs(boards) == {board.pk: before[board.pk] + 1 for board in boards}
    assert Event.objects.count() == events_before + len(boards)
    for board in boards:
        row = Event.objects.get(board=board, seq__gt=before[board.pk])
        assert row.seq == before[board.pk] + 1
        assert row.event == prepared.event
        assert row.actor_id == prepared.actor.pk
        assert row.data == expected


@pytest.mark.parametrize("case", list(CASES))
def test_nothing_is_recorded_or_published_when_the_transaction_rolls_back(
    case: str, team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    prepared = CASES[case](team)
    boards = prepared.boards or [team.board]
    before = _seqs(boards)
    events_before = Event.objects.count()

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Abort), transaction.atomic():
            prepared.act()
            raise Abort
    assert callbacks == []
    assert published == []
    assert _seqs(boards) == before
    assert Event.objects.count() == events_before


@pytest.mark.django_db(transaction=True)
def test_publishing_happens_after_a_real_commit(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, bool, bool]] = []

    def record(board_id: int, seq: int, *rest: Any) -> None:
        committed = Event.objects.filter(board_id=board_id, seq=seq).exists()
        seen.append((board_id, seq, connection.in_atomic_block, committed))

    monkeypatch.setattr(collab.events, "publish_board_event", record)
    seq = Board.objects.get(pk=team.board.pk).seq
    card = make_card(team.member, team.todo, "Live")
    assert seen == [(team.board.pk, seq + 1, False, True)]

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        card_update(actor=team.member, card_id=card.pk, title="Never")
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk)
        raise Abort
    assert len(seen) == 1
    assert Board.objects.get(pk=team.board.pk).seq == seq + 1
    assert Card.objects.get(pk=card.pk).title == "Live"

    with transaction.atomic():
        card_update(actor=team.member, card_id=card.pk, title="Later")
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk)
        assert len(seen) == 1
    assert seen[1:] == [
        (team.board.pk, seq + 2, False, True),
        (team.board.pk, seq + 3, False, True),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gap_free_unique_seqs(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collab.events, "publish_board_event", lambda *args: None)
    start = Board.objects.get(pk=team.board.pk).seq
    per_thread = 15
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def write(actor: Any, column: Column, prefix: str) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                card_create(actor=actor, column_id=column.pk, title=f"{prefix}{i}")
                if i % 5 == 0:
                    # Placement reads siblings under the same lock: no duplicate positions.
                    card_create(
                        actor=actor, column_id=team.todo.pk, title=f"{prefix}{i} top", before=None
                    )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(team.member, team.todo, "m")),
        threading.Thread(target=write, args=(team.admin, team.todo, "a")),
        threading.Thread(target=write, args=(team.owner, team.done, "o")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    total = 3 * (per_thread + 3)
    seqs = list(Event.objects.filter(board=team.board, seq__gt=start).values_list("seq", flat=True))
    assert seqs == list(range(start + 1, start + total + 1))
    assert Board.objects.get(pk=team.board.pk).seq == start + total
    assert Card.objects.filter(board=team.board).count() == total
    # Each event's payload shows the card it created, and every card has one event.
    created = Event.objects.filter(board=team.board, event="card.created").values_list(
        "data", flat=True
    )
    assert sorted(data["id"] for data in created) == sorted(
        Card.objects.values_list("pk", flat=True)
    )
