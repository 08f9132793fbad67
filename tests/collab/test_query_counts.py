"""The queries of the common writes, counted exactly, and the board snapshot's, constant.

Each write keeps its guarantees in these counts: the access check before any lock, the
board row lock, the role read again in the first statement after the lock, the row read
again under it, the version bump, the seq under the lock and the Event row (the publish
runs after commit and reads nothing). ``ATOMIC`` is the service's own transaction: a
SAVEPOINT and its RELEASE inside the test's transaction, BEGIN and COMMIT in production.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collab.models import Card, Event, Label
from collab.permissions import is_moderator
from collab.representations import CardSerializer, represent
from collab.selectors import card_get_for_user
from collab.services.cards import card_create, card_move, card_update
from collab.services.comments import comment_create
from collab.services.labels import label_create
from tests.api.conftest import API
from tests.conftest import Team, client_for
from tests.factories import make_card, make_user

ATOMIC = 2

# Where the row is with the actor's role, the board lock, the row and the role again.
LOCATE_AND_LOCK = 3
# The board's next seq and the Event row.
RECORD = 2
# collab.notify: the card's and the board's watches (more only where someone is told).
WATCHES = 1


@pytest.fixture
def labels(team: Team) -> list[Label]:
    return [label_create(actor=team.admin, board_id=team.board.pk, name=n) for n in ("a", "b")]


def _last_event_data(team: Team) -> Any:
    return Event.objects.filter(board=team.board).order_by("-seq").first().data  # type: ignore[union-attr]


def _fresh(team: Team, card_id: int) -> dict[str, Any]:
    return represent(CardSerializer, card_get_for_user(user=team.member, card_id=card_id))


def test_card_create(team: Team, django_assert_num_queries: Any) -> None:
    make_card(team.member, team.todo, "first")
    # + the last position in the column, the card; the creator's new watch.
    with django_assert_num_queries(LOCATE_AND_LOCK + 2 + RECORD + WATCHES + 1 + ATOMIC):
        card = card_create(actor=team.member, column_id=team.todo.pk, title="Ship")
    assert _last_event_data(team) == _fresh(team, card.pk)


def test_card_create_with_assignees_and_labels(
    team: Team, labels: list[Label], django_assert_num_queries: Any
) -> None:
    # + for each relation: the check that the ids belong here, the insert; the new
    # watches, the members (to tell the viewer), the viewer's notification, whether a
    # digest is queued for them already, the digest task.
    with django_assert_num_queries(LOCATE_AND_LOCK + 2 + 2 + 2 + RECORD + WATCHES + 5 + ATOMIC):
        card = card_create(
            actor=team.member,
            column_id=team.todo.pk,
            title="Ship",
            assignees=[team.member.pk, team.viewer.pk],
            labels=[label.pk for label in labels],
        )
    data = _last_event_data(team)
    assert data == _fresh(team, card.pk)
    assert data["assignees"] == sorted([team.member.pk, team.viewer.pk])
    assert data["labels"] == sorted(label.pk for label in labels)


def test_card_move(team: Team, labels: list[Label], django_assert_num_queries: Any) -> None:
    card = make_card(team.member, team.todo, "Move me", labels=[labels[0].pk])
    make_card(team.member, team.done, "already there")
    # + the target column, the last position there, the update, the relations' ids.
    with django_assert_num_queries(LOCATE_AND_LOCK + 4 + RECORD + WATCHES + ATOMIC):
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk)
    assert _last_event_data(team) == _fresh(team, card.pk)


def test_card_move_after_a_card(team: Team, django_assert_num_queries: Any) -> None:
    card = make_card(team.member, team.todo, "Move me")
    anchor = make_card(team.member, team.done, "anchor")
    make_card(team.member, team.done, "next")
    # + the target column, the anchor's and its neighbour's positions, the update,
    # the relations' ids.
    with django_assert_num_queries(LOCATE_AND_LOCK + 5 + RECORD + WATCHES + ATOMIC):
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk, after=anchor.pk)
    assert _last_event_data(team) == _fresh(team, card.pk)


def test_card_update(team: Team, labels: list[Label], django_assert_num_queries: Any) -> None:
    card = make_card(team.member, team.todo, "Old", assignees=[team.member.pk])
    # + the relations' ids, the update.
    with django_assert_num_queries(LOCATE_AND_LOCK + 2 + RECORD + WATCHES + ATOMIC):
        card_update(actor=team.member, card_id=card.pk, title="New")
    assert _last_event_data(team) == _fresh(team, card.pk)


def test_card_update_of_assignees_writes_only_the_difference(
    team: Team, django_assert_num_queries: Any
) -> None:
    card = make_card(team.member, team.todo, "Old", assignees=[team.member.pk])
    # + the relations' ids, the membership check, one delete, one insert, the update;
    # the member is no longer an assignee, the viewer's watch, the members, the
    # viewer's notification, the digest check and task.
    with django_assert_num_queries(LOCATE_AND_LOCK + 5 + RECORD + WATCHES + 6 + ATOMIC):
        card_update(actor=team.member, card_id=card.pk, assignees=[team.viewer.pk])
    data = _last_event_data(team)
    assert data == _fresh(team, card.pk)
    assert data["assignees"] == [team.viewer.pk]


def test_comment_create(team: Team, django_assert_num_queries: Any) -> None:
    card = make_card(team.member, team.todo, "Discuss")
    # + the comment.
    with django_assert_num_queries(LOCATE_AND_LOCK + 1 + RECORD + WATCHES + ATOMIC):
        comment = comment_create(actor=team.member, card_id=card.pk, body="Agreed")
    assert _last_event_data(team)["id"] == comment.pk


def test_the_returned_card_is_shown_without_a_query(
    team: Team, django_assert_num_queries: Any
) -> None:
    """The REST response of a write represents the card the service returns."""
    card = card_create(
        actor=team.member, column_id=team.todo.pk, title="T", assignees=[team.member.pk]
    )
    with django_assert_num_queries(0):
        shown = represent(CardSerializer, card)
    assert shown == _fresh(team, card.pk)


def test_a_moderator_check_is_one_query_per_user_object(
    team: Team, django_assert_num_queries: Any
) -> None:
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.add(Permission.objects.get(codename="moderate"))
    team.owner.groups.add(moderators)
    with django_assert_num_queries(1):
        assert is_moderator(team.owner)
        assert is_moderator(team.owner)
    with django_assert_num_queries(1):
        assert not is_moderator(team.member)
        assert not is_moderator(team.member)
    superuser = make_user("root", is_superuser=True)
    with django_assert_num_queries(0):
        assert is_moderator(superuser)


def _grow(team: Team, count: int, labels: list[Label], start: int) -> None:
    """Add ``count`` cards in bulk, each with an assignee and the labels."""
    cards = Card.objects.bulk_create(
        Card(
            board=team.board,
            column=team.todo if i % 2 else team.done,
            title=f"card {i}",
            description=f"*card* {i}",
            position=f"b{i:06d}",
        )
        for i in range(start, start + count)
    )
    Card.assignees.through.objects.bulk_create(
        Card.assignees.through(card_id=card.pk, user_id=team.member.pk) for card in cards
    )
    Card.labels.through.objects.bulk_create(
        Card.labels.through(card_id=card.pk, label_id=label.pk)
        for card in cards
        for label in labels
    )


def _snapshot_queries(client: Any, team: Team) -> tuple[int, dict[str, Any]]:
    path = f"{API}/boards/{team.board.pk}/snapshot/"
    client.get(path)  # a token's first use records last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_a_1000_card_snapshot_runs_as_many_queries_as_a_10_card_one(
    team: Team, labels: list[Label]
) -> None:
    """The token, then the board, columns, cards, their assignees, their labels, the
    board's labels and members: eight queries whatever the size."""
    client = client_for(team.member)
    _grow(team, 10, labels, start=0)
    small, small_body = _snapshot_queries(client, team)
    _grow(team, 990, labels, start=10)
    large, large_body = _snapshot_queries(client, team)
    assert (len(small_body["cards"]), len(large_body["cards"])) == (10, 1000)
    assert small == large == 8
    assert all(card["labels"] == sorted(x.pk for x in labels) for card in large_body["cards"])
    assert all(card["assignees"] == [team.member.pk] for card in large_body["cards"])
