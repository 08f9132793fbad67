"""Notifications over REST: the caller's own, unread filter, read and read-all; watching."""

from __future__ import annotations

import pytest

from collab.models import Notification
from collab.services.comments import comment_create
from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for
from tests.factories import make_card

pytestmark = pytest.mark.django_db


def _mention(team: Team, text: str = "@viewer ping") -> None:
    card = make_card(team.owner, team.todo, "Launch")
    comment_create(actor=team.member, card_id=card.pk, body=text)


def test_the_inbox_lists_unread_and_marks_read(team: Team) -> None:
    _mention(team)
    _mention(team)
    viewer = client_for(team.viewer)
    listed = viewer.get(f"{API}/notifications/?unread=true")
    assert listed.status_code == 200 and listed["X-Unread-Count"] == "2"
    first, second = listed.json()["results"]
    assert first["id"] > second["id"] and first["reason"] == "mentioned"
    assert first["card_title"] == "Launch" and first["event"] == "comment.created"

    read = viewer.post(f"{API}/notifications/{first['id']}/read/")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert viewer.get(f"{API}/notifications/?unread=true").json()["count"] == 1
    assert viewer.get(f"{API}/notifications/?unread=false").json()["count"] == 1
    assert viewer.post(f"{API}/notifications/read-all/").json() == {"marked": 1}
    assert viewer.get(f"{API}/notifications/")["X-Unread-Count"] == "0"


def test_nobody_reads_or_marks_anothers_notifications(team: Team) -> None:
    _mention(team)
    notification = Notification.objects.get(user=team.viewer)
    other = client_for(team.admin)
    assert other.get(f"{API}/notifications/").json()["count"] == 0
    assert_error(other.post(f"{API}/notifications/{notification.pk}/read/"), 404, "not_found")
    assert other.post(f"{API}/notifications/read-all/").json() == {"marked": 0}
    notification.refresh_from_db()
    assert notification.read_at is None
    assert_error(client_for(None).get(f"{API}/notifications/"), 401, "not_authenticated")


def test_watch_and_unwatch_a_card_and_a_board(team: Team) -> None:
    card = make_card(team.owner, team.todo, "Launch")
    viewer = client_for(team.viewer)
    assert viewer.get(f"{API}/cards/{card.pk}/watch/").json() == {"watching": False}
    assert viewer.post(f"{API}/cards/{card.pk}/watch/").json() == {"watching": True}
    assert viewer.get(f"{API}/cards/{card.pk}/watch/").json() == {"watching": True}
    assert client_for(team.owner).get(f"{API}/cards/{card.pk}/watch/").json() == {"watching": True}
    assert viewer.delete(f"{API}/cards/{card.pk}/watch/").json() == {"watching": False}
    assert viewer.post(f"{API}/boards/{team.board.pk}/watch/").json() == {"watching": True}
    outsider = client_for(team.outsider)
    assert_error(outsider.post(f"{API}/cards/{card.pk}/watch/"), 404, "not_found")
    assert_error(outsider.get(f"{API}/cards/{card.pk}/watch/"), 404, "not_found")
    assert_error(outsider.post(f"{API}/boards/{team.board.pk}/watch/"), 404, "not_found")


def test_bad_query_is_a_400(team: Team) -> None:
    response = client_for(team.viewer).get(f"{API}/notifications/?unread=maybe")
    assert_error(response, 400, "invalid")
