"""Reactions on comments: one person reacts, the other sees it at once, counts and all."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from collab.models import Reaction
from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.factories import make_card, make_comment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_MS = 5_000


def _reactions(comment_id: int) -> list[tuple[str, str]]:
    rows = Reaction.objects.filter(comment_id=comment_id).select_related("user").order_by("id")
    return [(row.user.username, row.reaction) for row in rows]


def test_a_reaction_appears_live_for_the_other_and_is_taken_back(
    team: Team, open_board: OpenBoard
) -> None:
    card = in_thread(make_card, team.owner, team.todo, "Pick a logo")
    comment = in_thread(make_comment, team.owner, card, "Option B looks best")
    member = open_board(team.member, team.board.pk)
    admin = open_board(team.admin, team.board.pk)
    selector = f'[data-testid="comment"][data-comment-id="{comment.pk}"]'
    member_comment = member.open_card("Pick a logo").locator(selector)
    admin_comment = admin.open_card("Pick a logo").locator(selector)
    expect(admin_comment.get_by_test_id("reaction")).to_have_count(0)

    member_comment.get_by_test_id("reaction-add").click()
    member_comment.get_by_test_id("react-rocket").click()
    rocket = admin_comment.locator('[data-testid="reaction"][data-reaction="rocket"]')
    expect(rocket.get_by_test_id("reaction-count")).to_have_text("1", timeout=LIVE_MS)
    expect(rocket).to_have_attribute("aria-pressed", "false")
    expect(rocket).to_have_attribute("title", "member reacted with rocket")

    # The admin adds theirs by clicking the same reaction: both see two.
    rocket.click()
    mine = member_comment.locator('[data-testid="reaction"][data-reaction="rocket"]')
    expect(mine.get_by_test_id("reaction-count")).to_have_text("2", timeout=LIVE_MS)
    expect(mine).to_have_attribute("aria-pressed", "true")
    member.screenshot("two-rockets")
    assert in_thread(_reactions, comment.pk) == [("member", "rocket"), ("admin", "rocket")]

    # Clicking one's own again takes it back, live for the other.
    mine.click()
    expect(rocket.get_by_test_id("reaction-count")).to_have_text("1", timeout=LIVE_MS)
    expect(rocket).to_have_attribute("aria-pressed", "true")
    assert in_thread(_reactions, comment.pk) == [("admin", "rocket")]
