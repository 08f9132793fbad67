"""``Idempotency-Key`` on POST (api/idempotency.py, DESIGN "Safe writes for third parties")."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import collab.services.cards
from api.models import IdempotencyKey
from collab.models import Card, Event
from tests.api.conftest import API, assert_error
from tests.conftest import Team, client_for


def _create(client: Any, team: Team, title: str = "A", key: str | None = "k-1") -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(
        f"{API}/cards/", {"column": team.todo.pk, "title": title}, format="json", **headers
    )


def test_a_retry_gets_the_first_response_and_writes_nothing(team: Team) -> None:
    member = client_for(team.member)
    first = _create(member, team)
    events = Event.objects.count()
    again = _create(member, team)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Card.objects.filter(title="A").count() == 1
    assert Event.objects.count() == events  # no second event either


def test_another_body_with_the_same_key_is_a_422(team: Team) -> None:
    member = client_for(team.member)
    assert _create(member, team, "A").status_code == 201
    body = assert_error(_create(member, team, "B"), 422, "idempotency_key_reused")
    assert "another request" in body["message"]
    assert not Card.objects.filter(title="B").exists()
    # The same key on another route is another request too.
    response = member.post(
        f"{API}/columns/",
        {"board": team.board.pk, "title": "X"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert_error(response, 422, "idempotency_key_reused")


def test_keys_are_per_user_and_without_a_key_every_post_writes(team: Team) -> None:
    assert _create(client_for(team.member), team).status_code == 201
    assert _create(client_for(team.admin), team).status_code == 201  # same key, other user
    member = client_for(team.member)
    assert _create(member, team, "N", key=None).status_code == 201
    assert _create(member, team, "N", key=None).status_code == 201
    assert Card.objects.filter(title="A").count() == 2
    assert Card.objects.filter(title="N").count() == 2


def test_a_refusal_is_replayed_too(team: Team) -> None:
    viewer = client_for(team.viewer)
    first = _create(viewer, team)
    assert_error(first, 403, "forbidden")
    again = _create(viewer, team)
    assert again.status_code == 403 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "ünicode"])
def test_a_malformed_key_is_a_400(team: Team, key: str) -> None:
    member = client_for(team.member)
    response = member.post(
        f"{API}/cards/",
        {"column": team.todo.pk, "title": "A"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert_error(response, 400, "bad_request")
    assert not Card.objects.exists()


def test_anonymous_requests_and_other_methods_ignore_the_header(team: Team, api: Any) -> None:
    member = client_for(team.member)
    card = _create(member, team).json()
    for title in ("P1", "P2"):
        response = member.patch(
            f"{API}/cards/{card['id']}/", {"title": title}, format="json", HTTP_IDEMPOTENCY_KEY="p"
        )
        assert response.status_code == 200 and response.json()["title"] == title
    assert not IdempotencyKey.objects.filter(key="p").exists()
    api.get(f"{API}/auth/csrf/")
    assert not IdempotencyKey.objects.exclude(key="k-1").exists()


def test_an_expired_key_runs_the_request_again_and_prune_deletes_old_keys(team: Team) -> None:
    member = client_for(team.member)
    assert _create(member, team).status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _create(member, team)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Card.objects.filter(title="A").count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    call_command("prune_idempotency_keys")
    assert not IdempotencyKey.objects.exists()


def test_a_key_still_running_is_a_409_until_stale(team: Team) -> None:
    member = client_for(team.member)
    assert _create(member, team).status_code == 201
    IdempotencyKey.objects.update(status_code=None)  # as if the first were still running
    response = _create(member, team)
    assert_error(response, 409, "idempotency_key_in_use")
    assert response["Retry-After"] == "1"
    # A first request that never finished (its process died) is run again once stale.
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert _create(member, team).status_code == 201
    assert _create(member, team)["Idempotent-Replayed"] == "true"
    assert Card.objects.filter(title="A").count() == 2


def test_a_crash_releases_the_key(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    member = client_for(team.member)
    member.raise_request_exception = False

    def crash(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("api.views.cards.card_create", crash)
    assert _create(member, team).status_code == 500
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    assert _create(member, team).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_write(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight clients send the same request with one key at once, on PostgreSQL."""
    assert connection.vendor == "postgresql"
    real = collab.services.cards.card_create
    barrier = threading.Barrier(8, timeout=10)

    def slow_create(**kwargs: Any) -> Any:
        threading.Event().wait(0.2)  # the others arrive while the first one writes
        return real(**kwargs)

    monkeypatch.setattr("api.views.cards.card_create", slow_create)
    clients = [client_for(team.member) for _ in range(8)]
    statuses: list[int] = []

    def send(client: Any) -> None:
        barrier.wait()
        try:
            statuses.append(_create(client, team).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Card.objects.filter(title="A").count() == 1
    assert sorted(set(statuses)) in ([201, 409], [201])
    assert statuses.count(201) >= 1 and len(statuses) == 8
    # Once the first has finished, every retry is its replay.
    replay = _create(clients[0], team)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
