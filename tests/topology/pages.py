"""Browser pages through nginx, with a record of their connection indicator's states.

A MutationObserver in the page notes every change of the indicator's ``data-state``
(``live``, ``reconnecting`` ...) with the page's clock, so the time a restart kept a
page from being live is measured in the page, not by polling it.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext

from tests.e2e.conftest import session_cookies
from tests.e2e.pages import BoardPage

RECORD_STATES = """
window.__states = [];
const record = () => {
  const status = document.querySelector('[data-testid="connection-status"]');
  const state = status === null ? null : status.getAttribute("data-state");
  const last = window.__states[window.__states.length - 1];
  if (last === undefined || last.state !== state) window.__states.push({ state, at: Date.now() });
};
new MutationObserver(record).observe(document, {
  subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
});
"""


def open_watching(context: BrowserContext, base_url: str, user: Any, board_id: int) -> BoardPage:
    """Sign ``user`` in and return a page showing the board, live, that records its states."""
    context.add_cookies(session_cookies(base_url, user.username))  # type: ignore[arg-type]
    page = context.new_page()
    page.add_init_script(RECORD_STATES)
    board = BoardPage(page, board_id, shot_prefix="topology")
    board.goto()
    board.expect_live()
    return board


def now_ms(board: BoardPage) -> float:
    """Return the page's clock (``Date.now()``)."""
    return float(board.page.evaluate("Date.now()"))


def not_live_ms(board: BoardPage, start: float, end: float) -> float:
    """Return how long, between two page-clock times, the indicator said anything but Live."""
    states: list[dict[str, Any]] = board.page.evaluate("window.__states")
    total = 0.0
    for index, change in enumerate(states):
        until = states[index + 1]["at"] if index + 1 < len(states) else end
        if change["state"] != "live":
            total += max(0.0, min(until, end) - max(change["at"], start))
    return total
