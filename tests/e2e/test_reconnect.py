"""A cut socket: the indicator says so, and on reconnect every missed change shows, once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from collab.models import Board
from tests.conftest import Team
from tests.e2e.conftest import OpenBoard
from tests.e2e.database import in_thread
from tests.e2e.pages import LIVE_MS, RECONNECT_MS, BoardPage
from tests.e2e.rest import RestClient
from tests.factories import make_card
from tests.servers import DaphneServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STARTING_CARDS = ("Keep", "Rename me", "Move me", "Archive me")


def _seed(team: Team) -> dict[str, int]:
    return {title: make_card(team.owner, team.todo, title).pk for title in STARTING_CARDS}


def _board_seq(board_id: int) -> int:
    return Board.objects.get(pk=board_id).seq


def _expect_caught_up(board: BoardPage, layout: dict[str, list[str]], board_id: int) -> None:
    board.expect_columns(layout)
    expect(board.page.get_by_test_id("board")).to_have_attribute(
        "data-seq", str(in_thread(_board_seq, board_id))
    )
    board.assert_not_reloaded()


def test_server_restart_reconnects_and_shows_every_missed_change_once(
    team: Team, open_board: OpenBoard, web: DaphneServer, other_web: DaphneServer
) -> None:
    cards = in_thread(_seed, team)
    watcher = open_board(team.member, team.board.pk)
    # The owner's script talks to another server process while the watcher's is down.
    script = RestClient(other_web.url, team.owner)

    web.stop()
    expect(watcher.status).to_have_attribute("data-state", "reconnecting", timeout=5_000)
    expect(watcher.status).to_contain_text("Reconnecting")
    watcher.screenshot("server-down")

    script.create_card(team.todo.pk, "Missed: created")
    script.create_card(team.done.pk, "Missed: in Done")
    script.rename_card(cards["Rename me"], "Missed: renamed")
    script.move_card(cards["Move me"], team.done.pk)
    script.archive_card(cards["Archive me"])
    expect(watcher.cards("Missed: created")).to_have_count(0)

    web.start()
    watcher.expect_live(timeout=RECONNECT_MS)
    layout = {
        "To do": ["Keep", "Missed: renamed", "Missed: created"],
        "Done": ["Missed: in Done", "Move me"],
    }
    _expect_caught_up(watcher, layout, team.board.pk)
    watcher.screenshot("caught-up")

    # Subscribed again, not just reloaded: the next change arrives live.
    RestClient(web.url, team.admin).create_card(team.todo.pk, "After the restart")
    expect(watcher.cards("After the restart", "To do")).to_have_count(1, timeout=LIVE_MS)


def test_offline_page_catches_up_once_back_online(
    team: Team, open_board: OpenBoard, web: DaphneServer
) -> None:
    cards = in_thread(_seed, team)
    watcher = open_board(team.member, team.board.pk)
    owner = open_board(team.owner, team.board.pk)
    context = watcher.page.context

    context.set_offline(True)
    expect(watcher.status).to_have_attribute("data-state", "offline", timeout=LIVE_MS)
    expect(watcher.status).to_have_text("Offline")

    owner.add_card("To do", "Added while offline")
    owner.rename_card("Rename me", "Renamed while offline")
    owner.drag_card("Move me", "Done")
    script = RestClient(web.url, team.admin)
    script.create_card(team.done.pk, "Filed while offline")
    script.archive_card(cards["Archive me"])
    layout = {
        "To do": ["Keep", "Renamed while offline", "Added while offline"],
        "Done": ["Move me", "Filed while offline"],
    }
    # The page that stayed online has everything; the offline one has none of it yet.
    owner.expect_columns(layout, timeout=LIVE_MS)
    watcher.expect_columns({"To do": list(STARTING_CARDS), "Done": []}, timeout=0)
    watcher.screenshot("offline")

    context.set_offline(False)
    watcher.expect_live(timeout=RECONNECT_MS)
    _expect_caught_up(watcher, layout, team.board.pk)
    watcher.screenshot("back-online")
