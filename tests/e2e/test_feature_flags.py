"""The ``activity_panel`` flag in a browser: off, the board has no Activity panel; on, it has."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from waffle.models import Flag

from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.factories import make_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _set_activity_panel(everyone: bool) -> None:
    # Saved outside a transaction: waffle clears its cached copy at once, for the server too.
    Flag.objects.update_or_create(name="activity_panel", defaults={"everyone": everyone})


def test_the_activity_panel_follows_its_flag(team: Team, open_board: OpenBoard) -> None:
    in_thread(make_card, team.owner, team.todo, "Plan the launch")
    in_thread(_set_activity_panel, False)
    board = open_board(team.member, team.board.pk)
    # Even the panel's own address shows the board without it.
    board.page.goto(f"/b/{team.board.pk}/activity")
    board.expect_live()
    expect(board.cards("Plan the launch")).to_have_count(1)
    expect(board.page.get_by_test_id("activity-toggle")).to_have_count(0)
    expect(board.page.get_by_test_id("activity-panel")).to_have_count(0)
    expect(board.page.get_by_role("link", name="Acme")).to_be_visible()
    board.screenshot("flag-off")

    in_thread(_set_activity_panel, True)
    board.page.goto(f"/b/{team.board.pk}")
    board.expect_live()
    board.page.get_by_test_id("activity-toggle").click()
    panel = board.page.get_by_test_id("activity-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("activity-item").first).to_contain_text("Plan the launch")
    board.screenshot("flag-on")
