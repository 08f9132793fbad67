"""A mention shows up in the other person's inbox at once, and leads to the card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from collab.models import Notification
from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.factories import make_card
from tests.webhooks.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_MS = 5_000


def _unread(username: str) -> int:
    return Notification.objects.filter(user__username=username, read_at=None).count()


def test_a_mention_reaches_the_inbox_live_and_opens_the_card(
    team: Team, open_board: OpenBoard
) -> None:
    card = in_thread(make_card, team.owner, team.todo, "Review the copy")
    member = open_board(team.member, team.board.pk)
    viewer = open_board(team.viewer, team.board.pk)
    expect(viewer.page.get_by_test_id("inbox-count")).to_have_count(0)

    panel = member.open_card("Review the copy")
    panel.get_by_test_id("comment-input").fill("@viewer can you check the headline?")
    panel.get_by_test_id("comment-submit").click()
    mention = panel.locator(".comment-body .mention", has_text="@viewer")
    expect(mention).to_be_visible(timeout=LIVE_MS)

    badge = viewer.page.get_by_test_id("inbox-count")
    expect(badge).to_have_text("1", timeout=LIVE_MS)
    viewer.page.get_by_test_id("inbox-button").click()
    item = viewer.page.get_by_test_id("notification-item").first
    expect(item).to_contain_text("member mentioned you on “Review the copy”")
    expect(item).to_have_attribute("data-unread", "true")
    viewer.screenshot("inbox")

    item.click()
    expect(viewer.page).to_have_url(re.compile(rf"/b/{team.board.pk}/c/{card.pk}$"))
    expect(badge).to_have_count(0)
    # The badge clears at once; the read is stored by the request that follows.
    wait_for(lambda: in_thread(_unread, "viewer") == 0, timeout=5, what="the read stored")
    assert in_thread(_unread, "member") == 0  # the actor is never told


def test_watching_a_card_brings_its_comments_to_the_inbox(
    team: Team, open_board: OpenBoard
) -> None:
    in_thread(make_card, team.owner, team.todo, "Pricing page")
    member = open_board(team.member, team.board.pk)
    viewer = open_board(team.viewer, team.board.pk)
    watch = viewer.open_card("Pricing page").get_by_test_id("card-watch")
    expect(watch).to_have_text("Watch")
    watch.click()
    expect(watch).to_have_text("Watching")
    expect(watch).to_have_attribute("aria-pressed", "true")

    panel = member.open_card("Pricing page")
    panel.get_by_test_id("comment-input").fill("Numbers are in")
    panel.get_by_test_id("comment-submit").click()
    expect(viewer.page.get_by_test_id("inbox-count")).to_have_text("1", timeout=LIVE_MS)
    viewer.page.get_by_test_id("card-panel-close").click()  # the dialog is modal
    viewer.page.get_by_test_id("inbox-button").click()
    expect(viewer.page.get_by_test_id("notification-item").first).to_contain_text(
        "member commented on “Pricing page”"
    )
    viewer.screenshot("watching")
