"""The events route: ordered history after a seq, limits, and payloads equal to GETs."""

from __future__ import annotations

from collab.models import Board
from tests.api.conftest import API, assert_error
from tests.conftest import client_for
from tests.factories import make_card


def events(client, board_id, **params):
    response = client.get(f"{API}/boards/{board_id}/events/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_events_after_and_limit(team):
    for i in range(7):
        make_card(team.member, team.todo, f"c{i}")
    client = client_for(team.viewer)
    board_seq = Board.objects.get(pk=team.board.pk).seq
    everything = events(client, team.board.pk)
    seqs = [e["seq"] for e in everything["results"]]
    assert seqs == list(range(1, board_seq + 1))  # gap-free and in order
    assert everything["seq"] == board_seq and everything["has_more"] is False
    page = events(client, team.board.pk, after=2, limit=3)
    assert [e["seq"] for e in page["results"]] == [3, 4, 5]
    assert page["has_more"] is True and page["seq"] == board_seq
    tail = events(client, team.board.pk, after=board_seq - 1, limit=3)
    assert [e["seq"] for e in tail["results"]] == [board_seq]
    assert tail["has_more"] is False
    assert events(client, team.board.pk, after=board_seq)["results"] == []
    assert events(client, team.board.pk, after=10**6)["results"] == []


def test_paging_through_with_has_more(team):
    for i in range(5):
        make_card(team.member, team.todo, f"c{i}")
    client = client_for(team.viewer)
    seen, after = [], 0
    while True:
        page = events(client, team.board.pk, after=after, limit=2)
        seen += [e["seq"] for e in page["results"]]
        if not page["has_more"]:
            break
        after = page["results"][-1]["seq"]
    assert seen == list(range(1, Board.objects.get(pk=team.board.pk).seq + 1))


def test_event_shape_matches_the_rest_representation(team):
    client = client_for(team.member)
    card = client.post(
        f"{API}/cards/", {"column": team.todo.pk, "title": "A"}, format="json"
    ).json()
    moved = client.post(
        f"{API}/cards/{card['id']}/move/", {"column": team.done.pk}, format="json"
    ).json()
    last = events(client, team.board.pk)["results"][-2:]
    assert [e["event"] for e in last] == ["card.created", "card.moved"]
    assert last[0]["data"] == card and last[1]["data"] == moved
    assert last[1]["actor"] == {"id": team.member.pk, "username": "member"}
    assert last[1]["board"] == team.board.pk and last[1]["ts"].endswith("Z")
    assert set(last[1]) == {"board", "seq", "event", "data", "actor", "ts"}


def test_limits_and_access(team):
    client = client_for(team.viewer)
    url = f"{API}/boards/{team.board.pk}/events/"
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "x"}, "after"),
    ]:
        assert field in assert_error(client.get(url, params), 400, "invalid")["detail"]
    assert client.get(url, {"limit": 1000}).status_code == 200
    assert_error(client_for(team.outsider).get(url), 404, "not_found")
    assert_error(client_for(None).get(url), 401, "not_authenticated")


def test_default_limit_is_100(team):
    for i in range(105 - Board.objects.get(pk=team.board.pk).seq):
        make_card(team.member, team.todo, f"c{i}")
    page = events(client_for(team.viewer), team.board.pk)
    assert len(page["results"]) == 100 and page["has_more"] is True
