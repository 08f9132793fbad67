"""Roles in the browser: a viewer reads the live board but cannot edit; others see nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Request, expect

from collab.models import Card
from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.e2e.pages import ARTIFACTS, LIVE_MS, log_in
from tests.e2e.rest import RestClient
from tests.factories import PASSWORD, make_card
from tests.servers import DaphneServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _column_of(card_id: int) -> int:
    return Card.objects.get(pk=card_id).column_id


def test_viewer_sees_the_live_board_without_edit_controls(
    team: Team, open_board: OpenBoard, web: DaphneServer
) -> None:
    card = in_thread(make_card, team.owner, team.todo, "Read-only card")
    viewer = open_board(team.viewer, team.board.pk)
    page = viewer.page
    writes: list[str] = []

    def record(request: Request) -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            writes.append(f"{request.method} {request.url}")

    page.on("request", record)

    expect(page.get_by_test_id("my-role")).to_have_text(re.compile("viewer", re.IGNORECASE))
    expect(page.get_by_test_id("readonly-banner")).to_be_visible()
    tile = viewer.cards("Read-only card", "To do")
    expect(tile).to_have_count(1)
    for control in ("new-card-input", "new-column-input", "column-menu", "board-title-input"):
        expect(page.get_by_test_id(control)).to_have_count(0)
    expect(tile).to_have_attribute("draggable", "false")
    expect(page.get_by_test_id("column-header").first).to_have_attribute("draggable", "false")
    viewer.screenshot("board")

    # Neither the mouse nor the keyboard moves the card.
    tile.drag_to(viewer.column("Done").get_by_test_id("card-list"))
    tile.focus()
    tile.press("Alt+ArrowRight")

    panel = viewer.open_card("Read-only card")
    expect(panel.get_by_test_id("card-panel-title")).to_have_js_property("tagName", "H2")
    for control in ("card-archive", "card-delete", "description-edit", "card-move-submit"):
        expect(panel.get_by_test_id(control)).to_have_count(0)
    viewer.screenshot("card-panel")
    panel.get_by_test_id("card-panel-close").click()

    # Still live for reading; by the time the owner's change arrives, any write the
    # viewer's page had sent would have been seen.
    RestClient(web.url, team.owner).create_card(team.done.pk, "Added by the owner")
    expect(viewer.cards("Added by the owner", "Done")).to_have_count(1, timeout=LIVE_MS)
    viewer.expect_columns({"To do": ["Read-only card"], "Done": ["Added by the owner"]})
    assert writes == []
    assert in_thread(_column_of, card.pk) == team.todo.pk


def test_non_member_who_logs_in_cannot_open_the_board(
    team: Team, new_context: Callable[[], BrowserContext]
) -> None:
    in_thread(make_card, team.owner, team.todo, "Secret plan")
    page = new_context().new_page()

    page.goto(f"/b/{team.board.pk}")
    log_in(page, "outsider", PASSWORD)
    expect(page.get_by_test_id("current-user")).to_have_attribute("data-username", "outsider")
    expect(page.get_by_test_id("board-not-found")).to_be_visible()
    expect(page.get_by_test_id("board")).to_have_count(0)
    expect(page.get_by_test_id("card")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Secret plan")
    expect(page.locator("body")).not_to_contain_text("Roadmap")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "test_non_member-not-found.png")
