"""Pruning the board history: old events go, each board's latest event stays."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from collab.models import Event
from collab.services.events import event_prune
from tests.factories import make_board, make_card, make_column


def _age(board_id: int, seqs: list[int], days: int) -> None:
    Event.objects.filter(board_id=board_id, seq__in=seqs).update(
        ts=timezone.now() - timedelta(days=days)
    )


def test_event_prune_deletes_old_events_and_keeps_recent_ones(team) -> None:
    make_card(team.member, team.todo, "A")
    make_card(team.member, team.todo, "B")
    board = team.board
    board.refresh_from_db()
    old = [1, 2]
    _age(board.pk, old, days=40)

    deleted = event_prune(older_than=timezone.now() - timedelta(days=30))

    assert deleted == 2
    remaining = list(Event.objects.filter(board=board).values_list("seq", flat=True))
    assert remaining == list(range(3, board.seq + 1))


def test_event_prune_always_keeps_each_boards_latest_event(team) -> None:
    other = make_board(team.owner, team.workspace, "Quiet board")
    make_column(team.owner, other, "Only column")
    board = team.board
    board.refresh_from_db()
    other.refresh_from_db()
    Event.objects.update(ts=timezone.now() - timedelta(days=400))

    deleted = event_prune(older_than=timezone.now())

    assert deleted == (board.seq - 1) + (other.seq - 1)
    assert list(Event.objects.values_list("board_id", "seq").order_by("board_id")) == sorted(
        [(board.pk, board.seq), (other.pk, other.seq)]
    )


def test_event_prune_with_nothing_old_deletes_nothing(team) -> None:
    total = Event.objects.count()

    assert event_prune(older_than=timezone.now() - timedelta(days=1)) == 0
    assert Event.objects.count() == total


@override_settings(EVENT_RETENTION_DAYS=30)
def test_prune_events_command_uses_the_retention_setting(team) -> None:
    make_card(team.member, team.todo, "A")
    _age(team.board.pk, [1], days=31)
    _age(team.board.pk, [2], days=29)
    out = StringIO()

    call_command("prune_events", stdout=out)

    assert not Event.objects.filter(board=team.board, seq=1).exists()
    assert Event.objects.filter(board=team.board, seq=2).exists()
    assert "Deleted 1 event(s)" in out.getvalue()


def test_prune_events_command_accepts_days(team) -> None:
    _age(team.board.pk, [1], days=3)
    out = StringIO()

    call_command("prune_events", "--days", "2", stdout=out)

    assert not Event.objects.filter(board=team.board, seq=1).exists()
    assert "Deleted 1 event(s)" in out.getvalue()


@pytest.mark.django_db
def test_prune_events_command_refuses_negative_days() -> None:
    with pytest.raises(CommandError):
        call_command("prune_events", "--days", "-1")
