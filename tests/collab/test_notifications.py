"""Who is told what (collab.notify): mentions, assignments, watchers; never the actor."""

from __future__ import annotations

from typing import Any

import pytest

from collab.models import Notification, Watch
from collab.services.cards import card_move, card_update
from collab.services.comments import comment_create, comment_update
from collab.services.notifications import watch_set
from collab.services.workspaces import member_remove
from tests.conftest import Team
from tests.factories import make_card, make_user

pytestmark = pytest.mark.django_db


def _told(**filters: Any) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(**filters).order_by("id")
    return [(n.user.username, n.reason) for n in rows.select_related("user")]


def test_a_mention_tells_the_member_and_nobody_else(team: Team) -> None:
    card = make_card(team.owner, team.todo, "Launch")
    stranger = make_user("stranger")
    comment_create(
        actor=team.member, card_id=card.pk, body="@viewer and @stranger, look (cc @member)"
    )
    # The viewer is mentioned; the owner created the card and watches it; the stranger
    # is no member (nothing, not even an error); the member is the actor.
    assert sorted(_told()) == [("owner", "commented"), ("viewer", "mentioned")]
    assert not Notification.objects.filter(user=stranger).exists()


def test_editing_a_comment_tells_only_the_newly_mentioned(team: Team) -> None:
    card = make_card(team.owner, team.todo, "Launch")
    comment = comment_create(actor=team.member, card_id=card.pk, body="@viewer?")
    comment_update(actor=team.member, comment_id=comment.pk, body="@viewer and @admin?")
    assert _told(event_name="comment.updated") == [("admin", "mentioned")]


def test_an_assignment_is_told_once_and_the_assignee_watches(team: Team) -> None:
    card = make_card(team.owner, team.todo, "Launch")
    card_update(actor=team.owner, card_id=card.pk, assignees=[team.member.pk])
    assert _told() == [("member", "assigned")]
    assert Watch.objects.get(card=card, user=team.member).assigned
    card_update(actor=team.owner, card_id=card.pk, title="Launch v2")
    assert _told() == [("member", "assigned"), ("member", "changed")]


def test_watchers_of_the_card_and_the_board_hear_of_changes_not_their_own(team: Team) -> None:
    card = make_card(team.member, team.todo, "Launch")
    watch_set(actor=team.viewer, watching=True, board_id=team.board.pk)
    card_move(actor=team.owner, card_id=card.pk, column_id=team.done.pk)
    assert sorted(_told(event_name="card.moved")) == [("member", "changed"), ("viewer", "changed")]
    comment_create(actor=team.admin, card_id=card.pk, body="Nice")
    assert sorted(_told(event_name="comment.created")) == [
        ("member", "commented"),
        ("viewer", "commented"),
    ]


def test_one_notification_per_user_and_event_with_the_strongest_reason(team: Team) -> None:
    card = make_card(team.member, team.todo, "Launch")  # the member watches it
    comment_create(actor=team.owner, card_id=card.pk, body="@member, ready?")
    assert _told(event_name="comment.created") == [("member", "mentioned")]


def test_unwatching_stops_the_changes_and_a_departed_member_hears_nothing(team: Team) -> None:
    card = make_card(team.member, team.todo, "Launch")
    watch_set(actor=team.member, watching=False, card_id=card.pk)
    card_update(actor=team.owner, card_id=card.pk, title="Quietly")
    assert _told() == []
    watch_set(actor=team.admin, watching=True, card_id=card.pk)
    member_remove(actor=team.owner, workspace_id=team.workspace.pk, user_id=team.admin.pk)
    card_update(actor=team.owner, card_id=card.pk, title="Gone")
    assert _told(user=team.admin) == []


def test_a_description_mention_tells_once(team: Team) -> None:
    card = make_card(team.owner, team.todo, "Spec", description="Reviewed by @viewer")
    assert _told() == [("viewer", "mentioned")]
    card_update(actor=team.owner, card_id=card.pk, title="Spec v2")
    assert _told(reason="mentioned") == [("viewer", "mentioned")]


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Hi @bob.", '<p>Hi <span class="mention">@bob</span>.</p>'),
        ("mail a@b.example", "<p>mail a@b.example</p>"),
        ("`@code`", "<p><code>@code</code></p>"),
        (
            '<span class="mention">@x</span>',
            '<p>&lt;span class="mention"&gt;<span class="mention">@x</span>&lt;/span&gt;</p>',
        ),
    ],
)
def test_mentions_are_drawn_in_markdown_for_anyone(text: str, html: str) -> None:
    from collab.markdown import render_markdown

    assert render_markdown(text) == html
