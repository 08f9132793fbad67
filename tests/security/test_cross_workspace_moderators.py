"""Moderators read no board they are not a member of; they see reports in the admin.

Regression test for issue 7, defect 12: a moderator could read any board's snapshot
while its card list answered 0 results and its cards 404. The one rule now: a
moderator reads what their memberships allow, through REST and sockets alike; the
reported content itself is shown in the admin's report queue, where every act goes
through the audited moderation services.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from collab.exceptions import NotFound
from collab.services.reports import report_create
from realtime.replay import check_access, replay_since
from tests.factories import make_user
from tests.security.conftest import API, bearer

READS = [
    "/boards/{rb}/",
    "/boards/{rb}/snapshot/",
    "/boards/{rb}/events/?after=0",
    "/boards/{rb}/stream/?since=0",
    "/boards/?workspace={rw}",
    "/columns/?board={rb}",
    "/columns/{rc}/",
    "/cards/?board={rb}",
    "/cards/?column={rc}",
    "/cards/{rcard}/",
    "/comments/?card={rcard}",
    "/comments/{rcomment}/",
    "/labels/?board={rb}",
    "/labels/{rlabel}/",
    "/workspaces/{rw}/",
    "/workspaces/{rw}/members/",
]


@pytest.fixture
def moderator(db: None) -> Any:
    user = make_user("moderator", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("path", READS)
def test_a_moderator_reads_no_board_of_another_workspace_over_rest(rival, moderator, path):
    response = bearer(moderator).get(API + path.format(**rival.ids()))
    assert response.status_code == 404, response.content
    assert response.json()["error"] == "not_found"
    assert "Secret" not in response.content.decode()


def test_a_moderator_subscribes_to_no_board_of_another_workspace(rival, moderator):
    with pytest.raises(NotFound):
        check_access(moderator, rival.board.pk)
    with pytest.raises(NotFound):
        replay_since(moderator, rival.board.pk, 0)


def test_a_moderator_lists_no_boards_but_their_own(rival, moderator):
    response = bearer(moderator).get(f"{API}/boards/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_admin_report_queue_shows_the_reported_text(rival, moderator):
    report = report_create(
        actor=rival.member, target_type="comment", target_id=rival.comment.pk, reason="Abuse"
    )
    client = Client()
    client.force_login(moderator)
    queue = client.get("/admin/collab/report/")
    assert queue.status_code == 200
    assert "Secret comment" in queue.content.decode()
    page = client.get(f"/admin/collab/report/{report.pk}/change/")
    assert page.status_code == 200
    assert "Secret comment" in page.content.decode()
