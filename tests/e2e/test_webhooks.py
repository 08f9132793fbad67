"""The workspace's Webhooks tab: add one, see its secret once, watch a delivery, redeliver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import Team
from tests.e2e.conftest import ARTIFACTS, session_cookies
from tests.e2e.database import in_thread
from tests.factories import make_card
from tests.servers import DaphneServer, free_port
from tests.webhooks.conftest import Receiver, Worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _page(
    new_context: Callable[[], BrowserContext], web: DaphneServer, user: Any, path: str
) -> Any:
    context = new_context()
    context.add_cookies(session_cookies(web.url, user.username))  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{web.url}{path}")
    return page


def test_an_owner_adds_a_webhook_and_redelivers_from_the_browser(
    team: Team, new_context: Callable[[], BrowserContext], web: DaphneServer
) -> None:
    workspace = team.board.workspace_id
    member = _page(new_context, web, team.member, f"/w/{workspace}")
    expect(member.get_by_test_id("tab-members")).to_be_visible()
    expect(member.get_by_test_id("tab-webhooks")).to_have_count(0)

    page = _page(new_context, web, team.owner, f"/w/{workspace}")
    page.get_by_test_id("tab-webhooks").click()
    port = free_port()
    page.get_by_test_id("webhook-url").fill(f"http://127.0.0.1:{port}/hooks")
    page.get_by_test_id("webhook-description").fill("CI notifier")
    page.get_by_test_id("webhook-create").click()
    secret = page.get_by_test_id("webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_test_id("webhook-row")).to_contain_text(f"127.0.0.1:{port}")

    receiver = Receiver(secret, port).start()
    worker = Worker().start()
    try:
        in_thread(make_card, team.member, team.todo, "Hooked")
        wait_for(lambda: len(receiver.events()) == 1, what="the delivery")
        page.get_by_test_id("webhook-show-deliveries").click()
        row = page.get_by_test_id("delivery-row").first
        expect(row).to_have_attribute("data-state", "delivered")
        expect(row).to_contain_text("card.created")
        expect(row).to_contain_text("HTTP 204")
        page.screenshot(path=ARTIFACTS / "webhooks-tab.png", full_page=True)

        row.get_by_test_id("delivery-redeliver").click()
        wait_for(lambda: len(receiver.received()) == 2, what="the redelivery")
        ids = {entry["webhook_id"] for entry in receiver.received()}
        assert ids == {row.get_attribute("data-message-id")}
        assert all(entry["verified"] for entry in receiver.received())
    finally:
        worker.kill()
        receiver.stop()


def test_a_private_target_is_explained_on_the_form(
    team: Team, new_context: Callable[[], BrowserContext], web: DaphneServer
) -> None:
    page = _page(new_context, web, team.owner, f"/w/{team.board.workspace_id}/webhooks")
    page.get_by_test_id("webhook-url").fill("ftp://example.com/")
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("webhook-error")).to_contain_text("Only http and https")
    expect(page.get_by_test_id("webhook-row")).to_have_count(0)
