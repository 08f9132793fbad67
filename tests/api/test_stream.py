"""The event stream's WSGI twin: the replay as server-sent events, then the end."""

from __future__ import annotations

import pytest

from collab.services.cards import card_create
from tests.conftest import client_for
from tests.realtime.sse import parse_blocks

pytestmark = pytest.mark.django_db


def _url(team, query=""):
    return f"/api/v1/boards/{team.board.pk}/stream/{query}"


def test_it_answers_the_replay_since_with_the_sse_headers(team):
    team.board.refresh_from_db()
    start = team.board.seq
    for title in ("a", "b"):
        card_create(actor=team.owner, column_id=team.todo.pk, title=title)
    client = client_for(team.viewer, token_scopes=("read",))
    response = client.get(_url(team, f"?since={start}"), HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Accel-Buffering"] == "no"
    blocks, rest = parse_blocks(response.content.decode())
    assert rest == ""
    assert blocks[0].fields == {"retry": "3000"}
    events = client.get(f"/api/v1/boards/{team.board.pk}/events/?after={start}").json()
    assert [b.data for b in blocks[1:]] == events["results"]
    assert [(b.id, b.event) for b in blocks[1:]] == [
        (start + 1, "card.created"),
        (start + 2, "card.created"),
    ]


def test_last_event_id_wins_and_a_too_old_one_gets_resync(team, settings):
    settings.EVENT_REPLAY_LIMIT = 1
    team.board.refresh_from_db()
    start = team.board.seq
    for title in ("a", "b"):
        card_create(actor=team.owner, column_id=team.todo.pk, title=title)
    client = client_for(team.viewer)
    response = client.get(_url(team, "?since=0"), HTTP_LAST_EVENT_ID=str(start + 1))
    blocks, _ = parse_blocks(response.content.decode())
    assert [b.id for b in blocks[1:]] == [start + 2]
    blocks, _ = parse_blocks(client.get(_url(team, f"?since={start}")).content.decode())
    assert blocks[1].event == "resync"
    assert blocks[1].data == {"board": team.board.pk, "head": start + 2}


@pytest.mark.parametrize(
    ("who", "query", "status", "code"),
    [
        (None, "", 401, "not_authenticated"),
        ("outsider", "", 404, "not_found"),
        ("viewer", "?since=x", 400, "invalid"),
    ],
)
def test_refusals_are_json(team, who, query, status, code):
    client = client_for(team.user(who) if who else None)
    response = client.get(_url(team, query), HTTP_ACCEPT="text/event-stream")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == code


def test_only_get(team):
    response = client_for(team.viewer).post(_url(team))
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
