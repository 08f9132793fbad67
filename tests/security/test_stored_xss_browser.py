"""Stored XSS rendered in Chromium: no payload runs in another user's browser.

The server runs without its Content-Security-Policy here, so that what is tested is the
app's own handling of stored text (escaping, and sanitised ``description_html``), not
the CSP safety net behind it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Dialog, Page, sync_playwright

from collab.services.boards import board_update
from collab.services.columns import column_update
from collab.services.labels import label_create
from collab.services.workspaces import workspace_update
from tests.factories import make_card, make_comment
from tests.security.xss import PAYLOADS
from tests.servers import ROOT, daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Elements and attributes no stored text may ever become.
INJECTED = (
    "script:not([src]), [data-testid] img, [data-testid] svg:not([aria-hidden]) [onload], iframe, "
    "object, embed, [onerror], [onload], [ontoggle], [onmouseover], a[href^='javascript' i], "
    "a[href^='data:' i], form[action^='javascript' i]"
)


@pytest.fixture(scope="module")
def frontend() -> None:
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        subprocess.run(
            ["npm", "--prefix", "frontend", "run", "build"], cwd=ROOT, check=True, timeout=300
        )


@pytest.fixture
def stored(team) -> dict[str, Any]:
    title = PAYLOADS[0]
    workspace_update(actor=team.owner, workspace_id=team.workspace.pk, name=PAYLOADS[1][:100])
    board_update(
        actor=team.owner, board_id=team.board.pk, title=PAYLOADS[2][:200], description=PAYLOADS[6]
    )
    column_update(actor=team.owner, column_id=team.todo.pk, title=PAYLOADS[1][:200])
    label = label_create(actor=team.owner, board_id=team.board.pk, name=PAYLOADS[2][:50])
    card = make_card(
        team.owner, team.todo, title, description="\n\n".join(PAYLOADS), labels=[label.pk]
    )
    for payload in PAYLOADS[:6]:
        make_comment(team.member, card, payload)
    make_card(team.owner, team.done, PAYLOADS[7])
    return {"workspace": team.workspace.pk, "board": team.board.pk, "card": card.pk, "title": title}


@pytest.fixture
def page(frontend, stored, team) -> Iterator[tuple[Page, str, list[str]]]:
    with daphne(CONTENT_SECURITY_POLICY="") as base:
        # The server hashes passwords with Argon2, the tests with MD5: sign in here and
        # hand the browser the session cookie (sessions live in the shared database).
        client = Client()
        client.force_login(team.viewer)
        cookies = {"sessionid": client.cookies["sessionid"].value}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            context = browser.new_context()
            context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
            tab = context.new_page()
            dialogs: list[str] = []

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            tab.on("dialog", on_dialog)
            try:
                yield tab, base, dialogs
            finally:
                browser.close()


def _assert_nothing_ran(tab: Page, dialogs: list[str]) -> None:
    tab.wait_for_timeout(300)
    assert tab.evaluate("window.__xss") is None
    assert dialogs == []
    assert tab.locator(INJECTED).count() == 0, tab.locator(INJECTED).first.evaluate(
        "e => e.outerHTML"
    )


def test_stored_xss_never_runs_on_the_workspace_pages(page, stored):
    tab, base, dialogs = page
    tab.goto(f"{base}/")
    tab.get_by_text(PAYLOADS[1][:100]).first.wait_for()
    _assert_nothing_ran(tab, dialogs)
    tab.goto(f"{base}/w/{stored['workspace']}")
    tab.get_by_text(PAYLOADS[2][:200]).first.wait_for()
    _assert_nothing_ran(tab, dialogs)


def test_stored_xss_never_runs_on_the_board_or_in_the_card_panel(page, stored):
    tab, base, dialogs = page
    tab.goto(f"{base}/b/{stored['board']}")
    tab.get_by_test_id("card-title").first.wait_for()
    titles = tab.get_by_test_id("card-title").all_inner_texts()
    assert stored["title"] in titles and PAYLOADS[7] in titles
    _assert_nothing_ran(tab, dialogs)
    # Hover everything a payload could hang a handler on.
    for locator in tab.get_by_test_id("card").all():
        locator.hover()
    _assert_nothing_ran(tab, dialogs)

    tab.goto(f"{base}/b/{stored['board']}/c/{stored['card']}")
    description = tab.get_by_test_id("card-description")
    description.wait_for()
    tab.get_by_test_id("comment-body").first.wait_for()
    _assert_nothing_ran(tab, dialogs)
    text = description.inner_text()
    assert "<script>window.__xss=1" in text and '<img src=x onerror="window.__xss=2' in text
    for link in description.locator("a").all():
        href = link.get_attribute("href") or ""
        assert href.startswith(("http://", "https://", "mailto:")), href
        assert link.get_attribute("rel") == "noopener noreferrer nofollow"
        link.hover()
    bodies = tab.get_by_test_id("comment-body").all_inner_texts()
    assert set(PAYLOADS[:6]) <= {body.strip() for body in bodies}
    _assert_nothing_ran(tab, dialogs)


def test_stored_xss_never_runs_in_the_activity_feed(page, stored):
    tab, base, dialogs = page
    tab.goto(f"{base}/b/{stored['board']}/activity")
    tab.get_by_test_id("card-title").first.wait_for()
    tab.wait_for_load_state("networkidle")
    _assert_nothing_ran(tab, dialogs)
