"""Reports of cards and comments."""

from __future__ import annotations

from collab.models import Report
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_card, make_comment


def test_report_a_comment_and_a_card(team):
    card = make_card(team.member, team.todo)
    comment = make_comment(team.member, card, "spam")
    viewer = client_for(team.viewer)  # anyone who can read may report
    response = viewer.post(
        f"{API}/reports/",
        {"target_type": "comment", "target_id": comment.pk, "reason": "Spam"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["board"], body["target_type"], body["target_id"], body["status"]) == (
        team.board.pk,
        "comment",
        comment.pk,
        "open",
    )
    response = viewer.post(
        f"{API}/reports/",
        {"target_type": "card", "target_id": card.pk, "reason": "Off topic"},
        format="json",
    )
    assert response.status_code == 201
    assert Report.objects.filter(reporter=team.viewer).count() == 2


def test_report_errors(team):
    card = make_card(team.member, team.todo)
    client = client_for(team.member)
    url = f"{API}/reports/"
    assert (
        "target_type"
        in assert_error(
            client.post(
                url, {"target_type": "board", "target_id": card.pk, "reason": "x"}, format="json"
            ),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "reason"
        in assert_error(
            client.post(
                url, {"target_type": "card", "target_id": card.pk, "reason": ""}, format="json"
            ),
            400,
            "invalid",
        )["detail"]
    )
    assert (
        "target_id"
        in assert_error(
            client.post(
                url, {"target_type": "card", "target_id": "1", "reason": "x"}, format="json"
            ),
            400,
            "invalid",
        )["detail"]
    )
    assert_error(
        client.post(
            url, {"target_type": "card", "target_id": 999999, "reason": "x"}, format="json"
        ),
        404,
        "not_found",
    )
    assert_error(
        client_for(team.outsider).post(
            url, {"target_type": "card", "target_id": card.pk, "reason": "x"}, format="json"
        ),
        404,
        "not_found",
    )
    assert_error(client.get(url), 405, "method_not_allowed")
    assert not Report.objects.exists()
