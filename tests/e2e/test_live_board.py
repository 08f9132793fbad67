"""Two people on one board: each change by one shows up for the other within 2 s, no reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.e2e.pages import LIVE_MS
from tests.e2e.rest import RestClient
from tests.factories import make_card
from tests.servers import DaphneServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_card_changes_by_one_user_appear_live_for_the_other(
    team: Team, open_board: OpenBoard, web: DaphneServer
) -> None:
    in_thread(make_card, team.owner, team.todo, "Existing")
    member = open_board(team.member, team.board.pk)
    owner = open_board(team.owner, team.board.pk)

    # Created in the member's browser.
    member.add_card("To do", "Write release notes")
    expect(owner.cards("Write release notes", "To do")).to_have_count(1, timeout=LIVE_MS)

    # Renamed in the card panel.
    member.rename_card("Write release notes", "Publish release notes")
    expect(owner.cards("Publish release notes", "To do")).to_have_count(1, timeout=LIVE_MS)
    expect(owner.cards("Write release notes")).to_have_count(0, timeout=LIVE_MS)

    # Dragged to the other column.
    member.drag_card("Publish release notes", "Done")
    expect(owner.cards("Publish release notes", "Done")).to_have_count(1, timeout=LIVE_MS)
    expect(owner.cards("Publish release notes", "To do")).to_have_count(0, timeout=LIVE_MS)
    owner.screenshot("after-drag")

    # The keyboard alternative: Alt+Left to the first column, then Alt+Down below "Existing".
    card = member.cards("Publish release notes")
    card.focus()
    card.press("Alt+ArrowLeft")
    expect(owner.card_titles("To do")).to_have_text(
        ["Publish release notes", "Existing"], timeout=LIVE_MS
    )
    expect(owner.cards("Publish release notes", "Done")).to_have_count(0, timeout=LIVE_MS)
    expect(member.cards("Publish release notes")).to_be_focused()
    member.cards("Publish release notes").press("Alt+ArrowDown")
    expect(owner.card_titles("To do")).to_have_text(
        ["Existing", "Publish release notes"], timeout=LIVE_MS
    )

    # Archived from the card panel: gone for the other.
    member.archive_card("Publish release notes")
    expect(owner.cards("Publish release notes")).to_have_count(0, timeout=LIVE_MS)
    expect(member.cards("Publish release notes")).to_have_count(0)

    # A third party's REST call with a Bearer token shows up in both browsers.
    RestClient(web.url, team.admin).create_card(team.done.pk, "Filed by the CI bot")
    expect(owner.cards("Filed by the CI bot", "Done")).to_have_count(1, timeout=LIVE_MS)
    expect(member.cards("Filed by the CI bot", "Done")).to_have_count(1, timeout=LIVE_MS)
    expect(member.page.get_by_test_id("live-region")).to_contain_text("Filed by the CI bot")
    member.screenshot("after-rest")
    owner.screenshot("after-rest")

    for board in (member, owner):
        expect(board.card_titles("To do")).to_have_text(["Existing"])
        expect(board.card_titles("Done")).to_have_text(["Filed by the CI bot"])
        board.assert_not_reloaded()
