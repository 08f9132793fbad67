"""A board's card list pages come from the cache under the board's seq (api/page_cache.py).

A cached page is never stale (any write moves the board's seq, so its pages get new
keys), never shown to someone who cannot read the board, the same bytes as a computed
page, and while the cache fails the pages are computed as before.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from api import page_cache
from collab.services.cards import card_move, card_update
from collab.services.labels import label_create, label_delete
from collab.services.workspaces import member_remove
from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for
from tests.factories import make_card


def _page(client: Any, **params: Any) -> Any:
    return client.get(f"{API}/cards/", params)


def _queries(client: Any, **params: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = _page(client, **params)
    return response, len(queries)


def test_a_second_read_is_served_from_the_cache_with_the_same_bytes(team: Team) -> None:
    for title in ("A", "B", "C"):
        make_card(team.member, team.todo, title)
    member = client_for(team.member)
    first, computed = _queries(member, board=team.board.pk)
    second, cached = _queries(member, board=team.board.pk)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["Cache-Control"] == "no-store"
    assert [c["title"] for c in second.json()["results"]] == ["A", "B", "C"]
    # Cached: the token and the access check only; computed: the cards, their relations.
    assert cached < computed


@pytest.mark.parametrize("change", ["update", "move", "label", "label_deleted", "new_card"])
def test_every_write_to_the_board_shows_in_the_next_read(team: Team, change: str) -> None:
    card = make_card(team.member, team.todo, "A")
    member = client_for(team.member)
    _page(member, board=team.board.pk)  # cached at the board's current seq
    if change == "update":
        card_update(actor=team.member, card_id=card.pk, title="A2")
    elif change == "move":
        card_move(actor=team.member, card_id=card.pk, column_id=team.done.pk)
    elif change in ("label", "label_deleted"):
        label = label_create(actor=team.admin, board_id=team.board.pk, name="bug", color="#ff0000")
        card_update(actor=team.member, card_id=card.pk, labels=[label.pk])
        _page(member, board=team.board.pk)
        if change == "label_deleted":
            label_delete(actor=team.admin, label_id=label.pk)
    else:
        make_card(team.member, team.todo, "B")
    fresh = client_for(team.member)
    expected = fresh.get(f"{API}/cards/{card.pk}/").json()
    results = _page(member, board=team.board.pk).json()["results"]
    assert results[0] == expected
    assert len(results) == (2 if change == "new_card" else 1)


def test_the_access_check_runs_before_the_cache(team: Team) -> None:
    make_card(team.member, team.todo, "A")
    assert _page(client_for(team.owner), board=team.board.pk).status_code == 200
    assert_error(_page(client_for(team.outsider), board=team.board.pk), 404, "not_found")
    member = client_for(team.member)
    assert _page(member, board=team.board.pk).status_code == 200
    member_remove(actor=team.owner, workspace_id=team.workspace.pk, user_id=team.member.pk)
    assert_error(_page(member, board=team.board.pk), 404, "not_found")


def test_pages_sizes_and_filters_are_cached_apart(team: Team) -> None:
    for title in ("A", "B", "C"):
        make_card(team.member, team.todo, title)
    card_update(actor=team.member, card_id=team.todo.cards.get(title="B").pk, archived=True)
    member = client_for(team.member)
    for _ in range(2):  # computed, then cached: the same answers
        titles = [c["title"] for c in _page(member, board=team.board.pk).json()["results"]]
        assert titles == ["A", "B", "C"]
        live = _page(member, board=team.board.pk, archived="false").json()["results"]
        assert [c["title"] for c in live] == ["A", "C"]
        second = _page(member, board=team.board.pk, page_size=2, page=2).json()
        assert [c["title"] for c in second["results"]] == ["C"]
        assert (
            second["count"] == 3
            and second["next"] is None
            and "page_size=2" in (second["previous"] or "")
        )


def test_the_browsable_format_and_errors_are_not_cached(team: Team) -> None:
    make_card(team.member, team.todo, "A")
    member = client_for(team.member)
    assert_error(_page(member, board=team.board.pk, page=9), 404, "not_found")
    assert _page(member, board=team.board.pk).status_code == 200


class _DownCache:
    """The shared cache while Redis is down: every call fails."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RedisConnectionError("Connection refused")

        return fail


def test_with_the_cache_down_pages_are_computed(
    team: Team, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make_card(team.member, team.todo, "A")
    member = client_for(team.member)
    monkeypatch.setattr(page_cache, "cache", _DownCache())
    with caplog.at_level(logging.WARNING, logger="api.page_cache"):
        for _ in range(2):
            response = _page(member, board=team.board.pk)
            assert response.status_code == 200
            assert [c["title"] for c in response.json()["results"]] == ["A"]
    warnings = [r for r in caplog.records if r.name == "api.page_cache"]
    assert len(warnings) == 1 and "Cache unreachable" in warnings[0].getMessage()
    monkeypatch.undo()
    with caplog.at_level(logging.INFO, logger="api.page_cache"):
        assert _page(member, board=team.board.pk).status_code == 200
    notes = [r.getMessage() for r in caplog.records if r.name == "api.page_cache"]
    assert notes[-1] == "Cache reachable again: list pages are cached again."


def test_the_cache_can_be_turned_off(team: Team, settings: Any) -> None:
    make_card(team.member, team.todo, "A")
    settings.LIST_PAGE_CACHE_SECONDS = 0
    member = client_for(team.member)
    _page(member, board=team.board.pk)  # the token's first use is recorded once
    _, first = _queries(member, board=team.board.pk)
    _, second = _queries(member, board=team.board.pk)
    assert first == second
