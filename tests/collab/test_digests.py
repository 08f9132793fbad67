"""Email digests of unread notifications: one per quiet spell, never twice, opt-out."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from collab.models import Notification
from collab.services.comments import comment_create
from collab.services.digests import digest_send
from collab.services.users import user_set_email_digests
from tests.conftest import Team, client_for
from tests.factories import make_card

pytestmark = pytest.mark.django_db


def _mention(team: Team, body: str = "@viewer look") -> None:
    card = make_card(team.owner, team.todo, "Launch")
    comment_create(actor=team.member, card_id=card.pk, body=body)


def _digests_for(user: Any) -> int:
    tasks = DBTaskResult.objects.filter(task_path="collab.tasks.send_digest")
    return sum(1 for task in tasks if task.args_kwargs["args"] == [user.pk])


def test_the_first_unread_notification_queues_one_digest(team: Team) -> None:
    _mention(team)
    _mention(team)
    assert _digests_for(team.viewer) == 1
    assert digest_send(user_id=team.viewer.pk) == 2
    (email,) = mail.outbox
    assert email.to == [team.viewer.email] and email.subject == "Corkboard: 2 unread notifications"
    assert "member mentioned you on “Launch”" in email.body and "/b/" in email.body
    assert digest_send(user_id=team.viewer.pk) == 0  # never twice
    _mention(team)  # a new spell: a new digest
    assert _digests_for(team.viewer) == 2


def test_read_notifications_are_not_emailed(team: Team) -> None:
    _mention(team)
    Notification.objects.filter(user=team.viewer).update(read_at="2026-01-01T00:00:00Z")
    assert digest_send(user_id=team.viewer.pk) == 0 and mail.outbox == []


def test_no_digest_for_a_suspended_user_or_one_who_opted_out(team: Team) -> None:
    _mention(team, "@viewer and @admin")
    user_set_email_digests(actor=team.viewer, enabled=False)
    type(team.admin).objects.filter(pk=team.admin.pk).update(is_active=False)
    assert digest_send(user_id=team.viewer.pk) == 0
    assert digest_send(user_id=team.admin.pk) == 0
    assert mail.outbox == []


def test_opting_out_over_rest(team: Team) -> None:
    client = client_for(team.viewer)
    response = client.patch("/api/v1/me/", {"email_digests": False}, format="json")
    assert response.status_code == 200 and response.json()["email_digests"] is False
    bad = client.patch("/api/v1/me/", {"email_digests": "no"}, format="json")
    assert bad.status_code == 400
