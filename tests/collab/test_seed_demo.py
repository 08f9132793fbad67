"""The demo seed: built through the services, and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from collab.models import Board, Card, Column, Comment, Event, Label, Membership, Role, Workspace

User = get_user_model()


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = (User, Workspace, Membership, Board, Column, Label, Card, Comment, Event)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_through_the_services() -> None:
    output = _seed()

    assert "alice / corkboard-demo" in output
    assert "admin / corkboard-admin" in output
    assert authenticate(username="alice", password="corkboard-demo") is not None
    assert authenticate(username="bob", password="corkboard-demo") is not None
    admin = authenticate(username="admin", password="corkboard-admin")
    assert admin is not None and admin.is_superuser and admin.is_staff

    board = Board.objects.get(title="Product launch", workspace__name="Demo team")
    members = Membership.objects.filter(workspace=board.workspace)
    roles = dict(members.values_list("user__username", "role"))
    assert roles == {"alice": Role.OWNER, "bob": Role.MEMBER}
    columns = board.columns.order_by("position").values_list("title", flat=True)
    assert list(columns) == ["To do", "Doing", "Done"]
    assert board.labels.count() >= 2
    assert board.cards.count() == 8
    assert Comment.objects.filter(card__board=board).count() >= 2

    # Every change was recorded as an event, gap-free, as the services do.
    seqs = list(Event.objects.filter(board=board).values_list("seq", flat=True))
    assert seqs == list(range(1, board.seq + 1))
    kinds = set(Event.objects.filter(board=board).values_list("event", flat=True))
    assert {"column.created", "card.created", "comment.created"} <= kinds
    assert Event.objects.filter(board=board, event="card.created").count() == 8


@pytest.mark.django_db
def test_seed_demo_twice_creates_nothing_the_second_time() -> None:
    _seed()
    before = _counts()

    output = _seed()

    assert _counts() == before
    assert "nothing to do" in output
    assert "alice / corkboard-demo" in output


@pytest.mark.django_db
def test_seed_demo_leaves_existing_users_alone() -> None:
    User.objects.create_user(username="alice", password="her-own-password-1")

    _seed()

    assert authenticate(username="alice", password="her-own-password-1") is not None
    assert Board.objects.filter(title="Product launch").count() == 1
