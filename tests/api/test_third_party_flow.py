"""A third party's whole journey, as the README shows it with curl."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.conftest import API, csrf, session_login
from tests.factories import make_user


def test_token_then_board_columns_cards_move_and_events(db):
    make_user("alice")
    # 1. In a session (CSRF cookie, log in), create a token; its plaintext is shown once.
    browser = APIClient(enforce_csrf_checks=True)
    assert session_login(browser, "alice").status_code == 200
    created = browser.post(
        f"{API}/tokens/",
        {"name": "ci", "scopes": ["read", "write"]},
        format="json",
        **csrf(browser),
    )
    assert created.status_code == 201
    token = created.json()["token"]

    # 2. From here on, only the token: no cookies, no CSRF.
    bot = APIClient()
    bot.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    workspace = bot.post(f"{API}/workspaces/", {"name": "Automation"}, format="json").json()
    board = bot.post(
        f"{API}/boards/", {"workspace": workspace["id"], "title": "Releases"}, format="json"
    ).json()
    todo = bot.post(
        f"{API}/columns/", {"board": board["id"], "title": "To do"}, format="json"
    ).json()
    done = bot.post(
        f"{API}/columns/", {"board": board["id"], "title": "Done"}, format="json"
    ).json()
    first = bot.post(
        f"{API}/cards/", {"column": todo["id"], "title": "Build 1.2"}, format="json"
    ).json()
    second = bot.post(
        f"{API}/cards/", {"column": todo["id"], "title": "Tag 1.2"}, format="json"
    ).json()
    moved = bot.post(
        f"{API}/cards/{first['id']}/move/",
        {"column": done["id"]},
        format="json",
        HTTP_IF_MATCH=f'"{first["version"]}"',
    )
    assert moved.status_code == 200
    assert moved.json()["column"] == done["id"]

    # 3. Read the board's history: every change, in seq order, as the REST shapes.
    history = bot.get(f"{API}/boards/{board['id']}/events/", {"after": 0}).json()
    assert [(e["seq"], e["event"]) for e in history["results"]] == [
        (1, "column.created"),
        (2, "column.created"),
        (3, "card.created"),
        (4, "card.created"),
        (5, "card.moved"),
    ]
    assert history["seq"] == 5 and history["has_more"] is False
    assert history["results"][3]["data"] == second
    assert history["results"][4]["data"] == moved.json()
    assert all(e["actor"]["username"] == "alice" for e in history["results"])
    # Gap fill from a known seq.
    assert [
        e["seq"]
        for e in bot.get(f"{API}/boards/{board['id']}/events/", {"after": 3}).json()["results"]
    ] == [4, 5]

    # 4. The snapshot agrees, and the token can open a socket with a ticket.
    snapshot = bot.get(f"{API}/boards/{board['id']}/snapshot/").json()
    assert snapshot["seq"] == 5
    assert [(c["title"], c["column"]) for c in snapshot["cards"]] == [
        ("Tag 1.2", todo["id"]),
        ("Build 1.2", done["id"]),
    ]
    assert bot.post(f"{API}/auth/ws-ticket/").json()["ticket"]
