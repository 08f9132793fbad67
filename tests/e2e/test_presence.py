"""Presence: who else is on the board, which card each has open, and who has left."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.factories import make_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Presence is throttled (0.5 s) and carried by the socket; closing a tab removes the
# entry at once on the server, well inside the 30 s expiry of a crashed process.
PRESENCE_MS = 5_000


def test_each_sees_the_other_and_the_avatar_goes_when_the_page_closes(
    team: Team, open_board: OpenBoard
) -> None:
    card = in_thread(make_card, team.owner, team.todo, "Plan the launch")
    member = open_board(team.member, team.board.pk)
    admin = open_board(team.admin, team.board.pk)

    expect(member.presence("admin")).to_have_count(1, timeout=PRESENCE_MS)
    expect(admin.presence("member")).to_have_count(1, timeout=PRESENCE_MS)
    expect(member.presence("member")).to_have_count(1)
    expect(member.presence("admin")).to_have_attribute("data-card", "")

    # Opening a card shows where one is, on the avatar and on the card tile.
    admin.open_card("Plan the launch")
    expect(member.presence("admin")).to_have_attribute(
        "data-card", str(card.pk), timeout=PRESENCE_MS
    )
    tile = member.cards("Plan the launch")
    expect(tile.get_by_test_id("card-presence")).to_have_attribute("data-username", "admin")
    member.screenshot("admin-viewing-card")

    admin.page.close()
    expect(member.presence("admin")).to_have_count(0, timeout=PRESENCE_MS)
    expect(tile.get_by_test_id("card-presence")).to_have_count(0)
    expect(member.presence("member")).to_have_count(1)
    member.screenshot("admin-left")
