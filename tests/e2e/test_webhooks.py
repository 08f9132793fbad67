"""The workspace's Webhooks tab: add one, see its secret once, watch a delivery, redeliver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from collab.models import WebhookEndpoint
from tests.conftest import Team
from tests.e2e.conftest import ARTIFACTS, SERVER_ENV, session_cookies
from tests.e2e.database import in_thread
from tests.factories import make_card
from tests.servers import DaphneServer, free_port
from tests.webhooks.conftest import Receiver, Worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def strict_web(frontend_dist: Path, django_db_setup: None) -> Iterator[DaphneServer]:
    """A second server that, like production, refuses webhooks to private addresses."""
    server = DaphneServer(port=None, **{**SERVER_ENV, "WEBHOOK_ALLOW_PRIVATE": "0"})
    server.start()
    yield server
    server.close()


def _page(
    new_context: Callable[[], BrowserContext], web: DaphneServer, user: Any, path: str
) -> Page:
    context = new_context()
    context.add_cookies(session_cookies(web.url, user.username))  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{web.url}{path}")
    return page


def _turned_off_by_the_server(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        active=False, disabled_reason="Every delivery failed for 3 days.", failures_in_a_row=12
    )


def _refresh_until(hook: Locator, text: str) -> None:
    """Click the deliveries' Refresh until the first delivery row shows ``text``."""
    row = hook.get_by_test_id("delivery-row").first

    def shown() -> bool:
        hook.get_by_test_id("deliveries-refresh").click()
        hook.page.wait_for_timeout(200)
        return row.count() > 0 and text in row.inner_text()

    wait_for(shown, what=f"a delivery row showing {text!r}")


def test_only_owners_and_admins_see_the_webhooks_tab(
    team: Team, new_context: Callable[[], BrowserContext], web: DaphneServer
) -> None:
    workspace = team.board.workspace_id
    member = _page(new_context, web, team.member, f"/w/{workspace}")
    expect(member.get_by_test_id("tab-members")).to_be_visible()
    expect(member.get_by_test_id("tab-webhooks")).to_have_count(0)
    member.goto(f"{web.url}/w/{workspace}/webhooks")
    expect(member.get_by_test_id("webhooks-forbidden")).to_be_visible()
    expect(member.get_by_test_id("webhook-form")).to_have_count(0)

    admin = _page(new_context, web, team.admin, f"/w/{workspace}")
    admin.get_by_test_id("tab-webhooks").click()
    expect(admin).to_have_url(f"{web.url}/w/{workspace}/webhooks")
    expect(admin.get_by_test_id("webhook-form")).to_be_visible()


def test_an_owner_adds_a_webhook_and_redelivers_from_the_browser(
    team: Team, new_context: Callable[[], BrowserContext], web: DaphneServer
) -> None:
    page = _page(new_context, web, team.owner, f"/w/{team.board.workspace_id}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("tab-webhooks").click()
    port = free_port()
    page.get_by_test_id("webhook-url").fill(f"http://127.0.0.1:{port}/hooks")
    page.get_by_test_id("webhook-description").fill("CI notifier")
    page.get_by_test_id("webhook-all-events").uncheck()
    expect(page.get_by_test_id("webhook-create")).to_be_disabled()
    page.get_by_test_id("webhook-event-card.created").check()
    page.get_by_test_id("webhook-event-card.moved").check()
    page.screenshot(path=ARTIFACTS / "webhooks-form.png", full_page=True)
    page.get_by_test_id("webhook-create").click()

    secret = page.get_by_test_id("webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    hook = page.get_by_test_id("webhook-row")
    expect(hook).to_contain_text(f"127.0.0.1:{port}")
    expect(hook).to_contain_text("card.created, card.moved")
    expect(hook.get_by_test_id("webhook-state")).to_have_text("on")
    # The secret is shown once: it is not in the list after a reload.
    page.reload()
    expect(page.get_by_test_id("webhook-row")).to_have_count(1)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)

    receiver = Receiver(secret, port).start()
    worker = Worker().start()
    try:
        hook.get_by_test_id("webhook-show-deliveries").click()
        expect(hook.get_by_test_id("webhook-deliveries")).to_contain_text("Nothing sent yet")
        in_thread(make_card, team.member, team.todo, "Hooked")
        wait_for(lambda: len(receiver.events()) == 1, what="the delivery")
        _refresh_until(hook, "HTTP 204")
        row = hook.get_by_test_id("delivery-row")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-state", "delivered")
        expect(row).to_contain_text("card.created")
        expect(row).to_contain_text("HTTP 204")
        page.screenshot(path=ARTIFACTS / "webhooks-tab.png", full_page=True)

        row.get_by_test_id("delivery-redeliver").click()
        wait_for(lambda: len(receiver.received()) == 2, what="the redelivery")
        message_id = row.get_attribute("data-message-id")
        assert {entry["webhook_id"] for entry in receiver.received()} == {message_id}
        assert all(entry["verified"] for entry in receiver.received())
        _refresh_until(hook, "2 in all")
        expect(row).to_have_attribute("data-state", "delivered")
        expect(row.get_by_test_id("delivery-attempts")).to_have_text("1 (2 in all)")

        # A new secret, shown once; deliveries carry both signatures for the grace period.
        hook.get_by_test_id("webhook-rotate").click()
        callout = page.get_by_test_id("webhook-secret-callout")
        expect(callout).to_contain_text("New signing secret")
        expect(callout).to_contain_text("24 hours")
        rotated = page.get_by_test_id("webhook-secret").inner_text()
        assert rotated.startswith("whsec_") and rotated != secret
        receiver.control(secret=rotated)
        row.get_by_test_id("delivery-redeliver").click()
        wait_for(lambda: len(receiver.received()) == 3, what="the redelivery signed anew")
        last = receiver.received()[-1]
        assert last["verified"] and last["signatures"] == 2
        assert last["webhook_id"] == message_id

        # Every wanted event of a board after a seq, again: here the one card.created.
        expect(row).to_contain_text("Roadmap")
        replay = hook.get_by_test_id("webhook-replay")
        expect(replay.get_by_test_id("webhook-replay-board")).to_have_value(str(team.board.pk))
        replay.get_by_test_id("webhook-replay-since").fill("0")
        replay.get_by_test_id("webhook-replay-submit").click()
        expect(page.get_by_test_id("toast").last).to_contain_text("1 event of Roadmap queued again")
        wait_for(lambda: len(receiver.received()) == 4, what="the board's events again")
        assert receiver.received()[-1]["webhook_id"] == message_id
        assert receiver.received()[-1]["verified"]
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=ARTIFACTS / "webhooks-rotated.png", full_page=True)
    finally:
        worker.kill()
        receiver.stop()

    # The worker turns off an endpoint that keeps failing, and says why.
    in_thread(_turned_off_by_the_server, int(hook.get_attribute("data-webhook-id") or 0))
    page.reload()
    expect(hook.get_by_test_id("webhook-disabled")).to_contain_text("failed for 3 days")
    expect(hook.get_by_test_id("webhook-failures")).to_contain_text("12 failed attempts in a row")
    expect(hook.get_by_test_id("webhook-state")).to_have_text("off")
    page.screenshot(path=ARTIFACTS / "webhooks-disabled.png", full_page=True)
    hook.get_by_test_id("webhook-toggle").click()
    expect(hook).to_have_attribute("data-active", "true")
    expect(hook.get_by_test_id("webhook-disabled")).to_have_count(0)

    hook.get_by_test_id("webhook-toggle").click()
    expect(hook).to_have_attribute("data-active", "false")
    expect(hook.get_by_test_id("webhook-state")).to_have_text("off")
    page.reload()
    expect(page.get_by_test_id("webhook-row")).to_have_attribute("data-active", "false")
    page.get_by_test_id("webhook-toggle").click()
    expect(page.get_by_test_id("webhook-row")).to_have_attribute("data-active", "true")

    page.get_by_test_id("webhook-delete").click()
    expect(page.get_by_test_id("webhook-row")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("webhook-form")).to_be_visible()
    expect(page.get_by_test_id("webhook-row")).to_have_count(0)


def test_a_refused_url_is_explained_on_the_form(
    team: Team, new_context: Callable[[], BrowserContext], strict_web: DaphneServer
) -> None:
    page = _page(new_context, strict_web, team.owner, f"/w/{team.board.workspace_id}/webhooks")
    page.get_by_test_id("webhook-url").fill("ftp://example.com/")
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("webhook-error")).to_contain_text("Only http and https")

    page.get_by_test_id("webhook-url").fill(f"http://127.0.0.1:{free_port()}/hooks")
    page.get_by_test_id("webhook-create").click()
    error = page.get_by_test_id("webhook-error")
    expect(error).to_contain_text("private or reserved address (127.0.0.1)")
    expect(page.get_by_test_id("webhook-row")).to_have_count(0)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "webhooks-refused.png", full_page=True)
