"""Logging in through the form leads back to the board that was asked for, live."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import Team
from tests.e2e.database import in_thread
from tests.e2e.pages import ARTIFACTS, BoardPage, log_in
from tests.factories import PASSWORD, make_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_log_in_through_the_form_and_land_on_the_board(
    team: Team, new_context: Callable[[], BrowserContext]
) -> None:
    in_thread(make_card, team.owner, team.todo, "Welcome aboard")
    page = new_context().new_page()

    page.goto(f"/b/{team.board.pk}")
    expect(page).to_have_url(re.compile(r"/login\b"))
    page.get_by_test_id("login-username").fill("member")
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.get_by_test_id("board")).to_have_count(0)

    log_in(page, "member", PASSWORD)
    expect(page).to_have_url(re.compile(rf"/b/{team.board.pk}$"))
    board = BoardPage(page, team.board.pk, shot_prefix="test_log_in")
    board.expect_live()
    expect(page.get_by_test_id("current-user")).to_have_attribute("data-username", "member")
    expect(page.get_by_test_id("board-title")).to_have_text("Roadmap")
    expect(board.cards("Welcome aboard", "To do")).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    board.screenshot("board")
