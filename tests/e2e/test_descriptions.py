"""Collaborative descriptions in Chromium: two people co-type one description, see each
other's cursors, go offline and come back, survive a server restart, and a REST PATCH
during editing lands in both editors; the board and the REST API show the merged text.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest
from playwright.sync_api import Locator, expect
from waffle.models import Flag

from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.e2e.pages import ARTIFACTS, BoardPage
from tests.e2e.rest import RestClient
from tests.factories import make_card
from tests.servers import DaphneServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_MS = 10_000
SCREENSHOTS = ARTIFACTS.parent.parent / "docs" / "screenshots"


def _flag_on() -> None:
    Flag.objects.update_or_create(name="collaborative_descriptions", defaults={"everyone": True})


def _editor(board: BoardPage) -> Locator:
    return board.page.get_by_test_id("description-editor").locator(".cm-content")


# The editor's text without the remote cursors' widgets (caret and name label).
_TEXT_JS = """el => Array.from(el.querySelectorAll('.cm-line')).map(line => {
  const copy = line.cloneNode(true);
  copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach(n => n.remove());
  return copy.textContent;
}).join('\\n')"""


def _text(board: BoardPage) -> str:
    return str(_editor(board).evaluate(_TEXT_JS))


def _status(board: BoardPage) -> Locator:
    return board.page.get_by_test_id("doc-status")


def _type_at(board: BoardPage, where: str, text: str) -> None:
    editor = _editor(board)
    editor.click()
    board.page.keyboard.press("Control+Home" if where == "start" else "Control+End")
    board.page.keyboard.type(text, delay=15)


def _same_text(a: BoardPage, b: BoardPage, *parts: str) -> str:
    deadline = time.monotonic() + LIVE_MS / 1000
    while True:
        first, second = _text(a), _text(b)
        if first == second and all(part in first for part in parts):
            return first
        assert time.monotonic() < deadline, (first, second, parts)
        time.sleep(0.1)


def test_two_people_co_edit_a_description(
    team: Team, open_board: OpenBoard, web: DaphneServer
) -> None:
    in_thread(_flag_on)
    card = in_thread(make_card, team.owner, team.todo, "Launch plan", description="Plan:")
    member = open_board(team.member, team.board.pk)
    admin = open_board(team.admin, team.board.pk)
    timings: dict[str, float] = {}
    for board in (member, admin):
        board.open_card("Launch plan")
        expect(_editor(board)).to_have_text("Plan:", timeout=LIVE_MS)
        expect(_status(board)).to_have_text("Saved", timeout=LIVE_MS)

    # Both type at once: one at the end, one at the start.
    started = time.monotonic()
    _type_at(member, "end", " alpha")
    _type_at(admin, "start", "beta ")
    text = _same_text(member, admin, "alpha", "beta")
    timings["co-typing converged"] = time.monotonic() - started
    assert text == "beta Plan: alpha"
    # Each sees the other's cursor, with their name.
    expect(member.page.locator(".cm-ySelectionInfo", has_text="admin")).to_have_count(1)
    expect(admin.page.locator(".cm-ySelectionInfo", has_text="member")).to_have_count(1)
    for board in (member, admin):
        expect(_status(board)).to_have_text("Saved", timeout=LIVE_MS)
    admin.page.locator(".cm-ySelection, .cm-ySelectionCaret").first.hover()
    member.page.locator(".cm-ySelectionCaret").first.hover()
    member.screenshot("two-cursors")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(
        ARTIFACTS / "test_two_people_co_edit_a_description-two-cursors.png",
        SCREENSHOTS / "collaborative-description.png",
    )

    # The admin goes offline and types; the member types too; both converge after.
    admin.page.context.set_offline(True)
    expect(_status(admin)).to_have_text("Offline — changes kept", timeout=LIVE_MS)
    _type_at(admin, "end", " gamma")
    _type_at(member, "start", "delta ")
    time.sleep(0.5)
    assert "gamma" not in _text(member)
    started = time.monotonic()
    admin.page.context.set_offline(False)
    text = _same_text(member, admin, "gamma", "delta")
    timings["offline edits merged"] = time.monotonic() - started
    assert text == "delta beta Plan: alpha gamma"
    expect(_status(admin)).to_have_text("Saved", timeout=LIVE_MS)

    # A REST PATCH while both edit: a diff, so both keep their text and cursors.
    script = RestClient(web.url, team.owner)
    started = time.monotonic()
    script.set_description(card.pk, text.replace("Plan:", "Plan (v2):"))
    text = _same_text(member, admin, "Plan (v2):")
    timings["REST PATCH in both editors"] = time.monotonic() - started
    assert text == "delta beta Plan (v2): alpha gamma"
    _type_at(member, "end", " epsilon")
    text = _same_text(member, admin, "epsilon")

    # A server restart mid-edit loses nothing typed before it, and doubles nothing.
    expect(_status(member)).to_have_text("Saved", timeout=LIVE_MS)
    started = time.monotonic()
    web.terminate(15)
    web.start()
    expect(_status(member)).to_have_text("Saved", timeout=20_000)
    expect(_status(admin)).to_have_text("Saved", timeout=20_000)
    timings["back after a restart"] = time.monotonic() - started
    _type_at(admin, "end", " zeta")
    text = _same_text(member, admin, "zeta")
    assert text == "delta beta Plan (v2): alpha gamma epsilon zeta"

    # The board's card and the REST API show the merged text once it settles.
    for board in (member, admin):
        board.page.get_by_test_id("card-panel-close").click()
    started = time.monotonic()
    deadline = started + 15
    while script.get_card(card.pk)["description"] != text:
        assert time.monotonic() < deadline, script.get_card(card.pk)["description"]
        time.sleep(0.2)
    timings["projected to REST"] = time.monotonic() - started
    tile = member.cards("Launch plan")
    expect(tile.get_by_test_id("card-description-icon")).to_have_count(1)
    print("\n" + "\n".join(f"{name}: {seconds:.2f} s" for name, seconds in timings.items()))


def test_a_phone_sized_screen_fits_the_header_and_the_card_panel(
    team: Team, new_context: Any, web: DaphneServer
) -> None:
    in_thread(_flag_on)
    in_thread(make_card, team.owner, team.todo, "On the go", description="Tap to edit")
    from tests.e2e.conftest import session_cookies

    context = new_context()
    context.add_cookies(session_cookies(web.url, team.member.username))
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    board = BoardPage(page, team.board.pk, shot_prefix="phone")
    board.goto()
    board.expect_live()
    # The top bar is one line and nothing in it is cut off.
    topbar = page.locator(".topbar")
    assert topbar.bounding_box()["height"] <= 60  # type: ignore[index]
    controls = ("connection-status", "nav-tokens", "logout")
    for element in (page.get_by_test_id(control) for control in controls):
        box = element.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["height"] < 40, box
    board.screenshot("board-390")
    panel = board.open_card("On the go")
    expect(_editor(board)).to_have_text("Tap to edit", timeout=LIVE_MS)
    box = panel.bounding_box()
    assert box is not None and box["width"] <= 390, box
    board.screenshot("card-panel-390")
