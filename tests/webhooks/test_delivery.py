"""Webhook deliveries end to end: the db_worker process sends to the example receiver.

Everything runs for real on loopback: events are written through the services in this
process, ``manage.py db_worker`` processes deliver them, and
``examples/webhook_receiver.py`` verifies each signature and logs what it got.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from collab.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from collab.services.webhooks import (
    delivery_redeliver,
    webhook_create,
    webhook_rotate_secret,
    webhook_update,
)
from tests.conftest import Team
from tests.factories import make_board, make_card, make_column, make_user, make_workspace
from tests.servers import free_port
from tests.webhooks.conftest import Receiver, Worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True


def _endpoint(
    team: Team, url: str, event_types: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    return webhook_create(
        actor=team.owner,
        workspace_id=team.board.workspace_id,
        url=url,
        event_types=event_types or ["*"],
    )


def _receiver(processes: list[Any], secret: str, port: int | None = None) -> Receiver:
    receiver = Receiver(secret, port).start()
    processes.append(receiver)
    return receiver


def _worker(processes: list[Any], **env: str) -> Worker:
    worker = Worker(**env).start()
    processes.append(worker)
    return worker


def _delivered(endpoint: WebhookEndpoint, count: int) -> bool:
    done = WebhookDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.DELIVERED)
    return done.count() >= count


def test_signed_deliveries_arrive_in_seq_order_with_two_workers(
    team: Team, processes: list[Any]
) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    for _ in range(2):
        _worker(processes)
    for number in range(12):
        make_card(team.member, team.todo, f"Card {number}")

    wait_for(lambda: _delivered(endpoint, 12), what="12 deliveries")
    received = receiver.received()
    assert all(entry["verified"] for entry in received), received
    seqs = [event["seq"] for event in receiver.events()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 12
    first = receiver.events()[0]
    assert first["event"] == "card.created" and first["board"] == team.board.pk
    ids = {entry["webhook_id"] for entry in received}
    assert ids == set(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("message_id", flat=True)
    )


def test_only_subscribed_types_of_its_own_workspace(team: Team, processes: list[Any]) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks", ["card.updated"])
    receiver = _receiver(processes, secret, port)
    _worker(processes)
    other_owner = make_user("elsewhere")
    other = make_board(other_owner, make_workspace(other_owner, "Elsewhere"))
    make_card(other_owner, make_column(other_owner, other), "Theirs")
    card = make_card(team.member, team.todo, "Ours")  # card.created: not subscribed
    from collab.services.cards import card_update

    card_update(actor=team.member, card_id=card.pk, title="Ours, renamed")

    wait_for(lambda: _delivered(endpoint, 1), what="the card.updated delivery")
    time.sleep(0.5)
    assert [event["event"] for event in receiver.events()] == ["card.updated"]
    assert WebhookDelivery.objects.count() == 1


def test_retries_on_500_on_the_schedule_then_delivers(team: Team, processes: list[Any]) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    receiver.control(status=500)
    _worker(processes, WEBHOOK_RETRY_SCHEDULE="0.5,1,30")
    make_card(team.member, team.todo, "Flaky")
    delivery = wait_for(lambda: WebhookDelivery.objects.filter(endpoint=endpoint).first())
    wait_for(
        lambda: WebhookAttempt.objects.filter(delivery=delivery).count() >= 2, what="2 attempts"
    )
    receiver.control(status=200)
    wait_for(lambda: _delivered(endpoint, 1), what="the delivery")

    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("id"))
    assert [attempt.status_code for attempt in attempts] == [500, 500, 200]
    assert [attempt.succeeded for attempt in attempts] == [False, False, True]
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert 0.45 <= gaps[0] < 3 and 0.95 <= gaps[1] < 4, gaps
    assert attempts[0].response_excerpt == "ok"
    assert len({entry["webhook_id"] for entry in receiver.received()}) == 1
    endpoint.refresh_from_db()
    assert endpoint.failures_in_a_row == 0 and endpoint.active


def test_a_timeout_and_a_refused_connection_are_retried(team: Team, processes: list[Any]) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    _worker(processes, WEBHOOK_TIMEOUT_SECONDS="0.5", WEBHOOK_RETRY_SCHEDULE="0.3,0.3,0.3,30")
    make_card(team.member, team.todo, "Nobody listens")
    delivery = wait_for(lambda: WebhookDelivery.objects.filter(endpoint=endpoint).first())
    refused = wait_for(lambda: WebhookAttempt.objects.filter(delivery=delivery).first())
    assert refused.status_code is None and "ConnectError" in refused.error

    receiver = _receiver(processes, secret, port)
    receiver.control(delay=2)
    wait_for(
        lambda: WebhookAttempt.objects.filter(
            delivery=delivery, error__startswith="Timed out"
        ).exists(),
        what="a timed-out attempt",
    )
    receiver.control()
    wait_for(lambda: _delivered(endpoint, 1), what="the delivery")
    assert WebhookAttempt.objects.filter(delivery=delivery, succeeded=True).count() == 1


def test_the_endpoint_is_disabled_after_the_failure_run_and_owners_told(
    team: Team, processes: list[Any]
) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    receiver.control(status=503)
    worker = _worker(processes, WEBHOOK_DISABLE_AFTER="3", WEBHOOK_RETRY_SCHEDULE="0.2,0.2,0.2,0.2")
    make_card(team.member, team.todo, "Down")

    wait_for(
        lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).active, what="the endpoint disabled"
    )
    endpoint.refresh_from_db()
    assert endpoint.failures_in_a_row == 3
    assert endpoint.disabled_reason == "Disabled after 3 failed attempts in a row."
    wait_for(lambda: "was disabled" in worker.output(), what="the email to the owners")
    assert team.owner.email in worker.output()
    time.sleep(0.6)
    assert len(receiver.received()) == 3  # nothing more once it is off

    # Turned back on, it resumes where it stopped.
    receiver.control()
    webhook_update(actor=team.owner, endpoint_id=endpoint.pk, active=True)
    wait_for(lambda: _delivered(endpoint, 1), what="the delivery after re-enabling")


def test_redeliver_sends_the_same_webhook_id_again(team: Team, processes: list[Any]) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    _worker(processes)
    make_card(team.member, team.todo, "Again")
    wait_for(lambda: _delivered(endpoint, 1))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    delivery_redeliver(actor=team.admin, delivery_id=delivery.pk)

    wait_for(lambda: len(receiver.received()) == 2, what="the redelivery")
    assert [entry["webhook_id"] for entry in receiver.received()] == [delivery.message_id] * 2
    wait_for(lambda: _delivered(endpoint, 1))


def test_a_rotated_secret_signs_beside_the_old_one_for_the_grace_period(
    team: Team, processes: list[Any], settings: Any
) -> None:
    port = free_port()
    endpoint, old_secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, old_secret, port)
    _worker(processes)
    settings.WEBHOOK_SECRET_GRACE_SECONDS = 3
    _, new_secret = webhook_rotate_secret(actor=team.owner, endpoint_id=endpoint.pk)
    assert new_secret != old_secret

    make_card(team.member, team.todo, "Old secret still verifies")
    wait_for(lambda: _delivered(endpoint, 1))
    receiver.control(secret=new_secret)
    make_card(team.member, team.todo, "New secret verifies")
    wait_for(lambda: _delivered(endpoint, 2))
    assert [entry["signatures"] for entry in receiver.received()] == [2, 2]

    time.sleep(3)  # the grace period is over: only the new secret signs
    receiver.control(secret=old_secret, status=200)
    make_card(team.member, team.todo, "Old secret no longer verifies")
    wait_for(lambda: len(receiver.received()) >= 3)
    late = receiver.received()[2]
    assert late["signatures"] == 1 and not late["verified"]


def test_a_worker_killed_mid_delivery_sends_it_again_under_the_same_id(
    team: Team, processes: list[Any]
) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    receiver.control(delay=30)
    worker = _worker(processes, WEBHOOK_TIMEOUT_SECONDS="1.5")
    for number in range(3):
        make_card(team.member, team.todo, f"Card {number}")
    wait_for(lambda: len(receiver.received()) == 1, what="the first request")
    worker.kill()
    receiver.control()
    _worker(processes, WEBHOOK_TIMEOUT_SECONDS="1.5")

    wait_for(lambda: _delivered(endpoint, 3), timeout=30, what="every delivery")
    received = receiver.received()
    first = WebhookDelivery.objects.get(endpoint=endpoint, seq=receiver.events()[0]["seq"])
    ids = [entry["webhook_id"] for entry in received]
    assert ids[0] == ids[1] == first.message_id  # the interrupted one, sent again
    assert len(ids) == 4 and len(set(ids)) == 3
    seqs = [event["seq"] for event in receiver.events()]
    assert seqs == sorted(seqs)


def test_a_target_that_turned_private_is_refused_at_send_time(
    team: Team, processes: list[Any]
) -> None:
    # Saved while private targets were allowed; the worker does not allow them: the
    # same check runs before every attempt (a hostname re-pointed after the save).
    port = free_port()
    _, secret = _endpoint(team, f"http://localhost:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    _worker(processes, WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_RETRY_SCHEDULE="30")
    make_card(team.member, team.todo, "Rebound")
    attempt = wait_for(lambda: WebhookAttempt.objects.first(), what="an attempt")
    assert attempt.status_code is None
    assert "private or reserved address (127.0.0.1" in attempt.error
    assert receiver.received() == []


def test_a_deleted_board_still_sends_board_deleted_and_what_was_pending(
    team: Team, processes: list[Any]
) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    make_card(team.member, team.todo, "Pending when the board goes")
    from collab.services.boards import board_delete

    board_id = team.board.pk
    board_delete(actor=team.owner, board_id=board_id)
    receiver = _receiver(processes, secret, port)
    _worker(processes)

    wait_for(lambda: len(receiver.events()) >= 2, what="both deliveries")
    events = receiver.events()
    assert [event["event"] for event in events][-1] == "board.deleted"
    assert (
        events[0]["event"] == "card.created"
        and events[0]["data"]["title"] == "Pending when the board goes"
    )
    assert {event["board"] for event in events} == {board_id}
    wait_for(lambda: _delivered(endpoint, len(events)))


def test_a_redirect_is_a_failure_and_is_not_followed(team: Team, processes: list[Any]) -> None:
    port = free_port()
    endpoint, secret = _endpoint(team, f"http://127.0.0.1:{port}/hooks")
    receiver = _receiver(processes, secret, port)
    receiver.control(status=307, location=f"http://127.0.0.1:{port}/elsewhere")
    _worker(processes, WEBHOOK_RETRY_SCHEDULE="30")
    make_card(team.member, team.todo, "Moved away")
    attempt = wait_for(lambda: WebhookAttempt.objects.first(), what="an attempt")
    assert attempt.status_code == 307 and not attempt.succeeded
    time.sleep(0.5)
    assert len(receiver.received()) == 1  # the Location was not requested
    assert WebhookDelivery.objects.get(endpoint=endpoint).state == DeliveryState.PENDING
