"""Stored XSS: payloads saved in every text field come back as data, never as markup.

The API returns text verbatim as JSON (clients must treat it as text), the one field
that carries HTML (``description_html``) is rendered with raw HTML off and sanitised,
and the admin escapes everything it shows.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from collab.markdown import render_markdown
from collab.services.labels import label_create
from collab.services.reports import report_create
from tests.api.conftest import assert_error, csrf
from tests.factories import make_card, make_comment
from tests.security.conftest import bearer
from tests.security.xss import PAYLOADS, link_targets, unsafe_parts

API = "/api/v1"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_xss_in_every_text_field_comes_back_as_plain_json_data(team, payload):
    client = bearer(team.owner)
    workspace = client.patch(
        f"{API}/workspaces/{team.workspace.pk}/", {"name": payload[:100]}, format="json"
    )
    board = client.patch(
        f"{API}/boards/{team.board.pk}/",
        {"title": payload[:200], "description": payload},
        format="json",
    )
    column = client.patch(f"{API}/columns/{team.todo.pk}/", {"title": payload[:200]}, format="json")
    card = client.post(
        f"{API}/cards/",
        {"column": team.todo.pk, "title": payload, "description": payload},
        format="json",
    )
    label = client.post(
        f"{API}/labels/", {"board": team.board.pk, "name": payload[:50]}, format="json"
    )
    comment = client.post(
        f"{API}/comments/", {"card": card.json()["id"], "body": payload}, format="json"
    )
    for response in (workspace, board, column, card, label, comment):
        assert response.status_code in (200, 201), response.content
        assert response["Content-Type"] == "application/json"
    assert workspace.json()["name"] == payload[:100]
    assert board.json()["title"] == payload[:200] and board.json()["description"] == payload
    assert column.json()["title"] == payload[:200]
    assert card.json()["title"] == payload and card.json()["description"] == payload
    assert label.json()["name"] == payload[:50]
    assert comment.json()["body"] == payload
    assert unsafe_parts(card.json()["description_html"]) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_xss_in_card_description_is_sanitised_in_description_html(payload):
    html = render_markdown(f"# Notes\n\n{payload}\n\n- item {payload}\n\n> {payload}")
    assert unsafe_parts(html) == [], html
    hrefs = _hrefs(html)
    assert "javascript:" not in hrefs and "data:" not in hrefs, hrefs


def _hrefs(html: str) -> str:
    return " ".join(link_targets(html)).lower()


def test_description_html_keeps_safe_markdown_and_hardens_links():
    html = render_markdown(
        "## Plan\n\n**bold** _em_ ~~gone~~ `code`\n\n1. [docs](https://example.com) "
        "<https://example.org>\n2. [mail](mailto:a@example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert unsafe_parts(html) == []
    for fragment in (
        "<h2>Plan</h2>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<s>gone</s>",
        "<code>code</code>",
        "<table>",
    ):
        assert fragment in html
    assert html.count('rel="noopener noreferrer nofollow"') == 3
    assert 'href="mailto:a@example.com"' in html


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "vbscript:msgbox(1)", "data:text/html,x"]
)
def test_description_links_allow_only_web_and_mail_urls(url):
    html = render_markdown(f"[x]({url})")
    assert unsafe_parts(html) == []
    assert url.split(":")[0] + ":" not in _hrefs(html)


def test_description_html_rides_along_in_rest_and_events(team):
    client = bearer(team.owner)
    card = client.post(
        f"{API}/cards/",
        {"column": team.todo.pk, "title": "x", "description": PAYLOADS[1]},
        format="json",
    ).json()
    events = client.get(f"{API}/boards/{team.board.pk}/events/?after=0").json()["results"]
    created = next(
        e for e in events if e["event"] == "card.created" and e["data"]["id"] == card["id"]
    )
    assert created["data"]["description_html"] == card["description_html"]
    snapshot = client.get(f"{API}/boards/{team.board.pk}/snapshot/").json()
    assert (
        next(c for c in snapshot["cards"] if c["id"] == card["id"])["description_html"]
        == card["description_html"]
    )
    assert unsafe_parts(card["description_html"]) == []
    assert "&lt;img" in card["description_html"]


@pytest.mark.parametrize(
    "username", ["<script>x</script>", 'a"onmouseover=x', "<img src=x>", "javascript:x"]
)
def test_stored_xss_in_username_is_refused_at_signup(api, db, username):
    api.get(f"{API}/auth/csrf/")
    response = api.post(
        f"{API}/auth/signup/",
        {"username": username, "password": "a-long-unusual-password-3"},
        format="json",
        **csrf(api),
    )
    assert_error(response, 400, "invalid")


ADMIN_PAGES = [
    ("workspace", "/admin/collab/workspace/", "/admin/collab/workspace/{workspace}/change/"),
    ("board", "/admin/collab/board/", "/admin/collab/board/{board}/change/"),
    ("column", "/admin/collab/column/", "/admin/collab/column/{column}/change/"),
    ("label", "/admin/collab/label/", "/admin/collab/label/{label}/change/"),
    ("card", "/admin/collab/card/", "/admin/collab/card/{card}/change/"),
    ("comment", "/admin/collab/comment/", "/admin/collab/comment/{comment}/change/"),
    ("report", "/admin/collab/report/", "/admin/collab/report/{report}/change/"),
    ("event", "/admin/collab/event/", None),
]


@pytest.fixture
def stored_payload(team) -> dict[str, Any]:
    payload = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    client = bearer(team.owner)
    client.patch(f"{API}/workspaces/{team.workspace.pk}/", {"name": payload}, format="json")
    client.patch(
        f"{API}/boards/{team.board.pk}/", {"title": payload, "description": payload}, format="json"
    )
    client.patch(f"{API}/columns/{team.todo.pk}/", {"title": payload}, format="json")
    label = label_create(actor=team.owner, board_id=team.board.pk, name=payload[:50])
    card = make_card(team.owner, team.todo, payload, description=payload)
    comment = make_comment(team.owner, card, payload)
    report = report_create(
        actor=team.member, target_type="comment", target_id=comment.pk, reason=payload
    )
    return {
        "payload": payload,
        "workspace": team.workspace.pk,
        "board": team.board.pk,
        "column": team.todo.pk,
        "label": label.pk,
        "card": card.pk,
        "comment": comment.pk,
        "report": report.pk,
    }


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    return client


@pytest.mark.parametrize(
    ("name", "changelist", "change"), ADMIN_PAGES, ids=[p[0] for p in ADMIN_PAGES]
)
def test_stored_xss_is_escaped_in_the_admin(
    superuser_client, stored_payload, name, changelist, change
):
    for path in filter(None, [changelist, change and change.format(**stored_payload)]):
        response = superuser_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        text = response.content.decode()
        assert "<script>window.__xss" not in text, path
        assert "<img src=x onerror" not in text, path
        assert "&lt;script&gt;window.__xss" in text or "&lt;img src=x" in text, path
