"""Webhook writes that race on PostgreSQL (collab.services.webhooks)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from collab.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from collab.services.webhooks import (
    MAX_ENDPOINTS,
    deliver_next,
    delivery_redeliver,
    webhook_create,
)
from tests.concurrency.conftest import describe, run_together
from tests.factories import make_board, make_card, make_column, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_targets(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5


def test_racing_creates_never_pass_the_limit() -> None:
    owner = make_user("owner")
    board = make_board(owner)
    create = partial(
        webhook_create,
        actor=owner,
        workspace_id=board.workspace_id,
        url="http://127.0.0.1:9/",
        event_types=["*"],
    )
    for _ in range(MAX_ENDPOINTS - 1):
        create()
    outcomes = run_together(create, create, create)
    assert sum(outcome.ok for outcome in outcomes) == 1, describe(outcomes)
    assert all(outcome.ok or outcome.domain_error for outcome in outcomes), describe(outcomes)
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS


def test_racing_worker_steps_attempt_the_head_once() -> None:
    # Nothing listens on port 9: each step is one refused attempt. Four steps at once on
    # one queue: the head's row lock lets one through, the others leave it.
    owner = make_user("owner")
    board = make_board(owner)
    endpoint, _ = webhook_create(
        actor=owner, workspace_id=board.workspace_id, url="http://127.0.0.1:9/", event_types=["*"]
    )
    make_card(owner, make_column(owner, board), "One")
    step = partial(deliver_next, endpoint_id=endpoint.pk, board_id=board.pk)
    outcomes = run_together(step, step, step, step)
    assert all(outcome.ok for outcome in outcomes), describe(outcomes)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("seq").first()
    assert delivery is not None and delivery.attempts == 1


def test_a_redelivery_racing_a_worker_step_loses_nothing() -> None:
    owner = make_user("owner")
    board = make_board(owner)
    endpoint, _ = webhook_create(
        actor=owner, workspace_id=board.workspace_id, url="http://127.0.0.1:9/", event_types=["*"]
    )
    make_card(owner, make_column(owner, board), "One")
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).latest("seq")
    outcomes = run_together(
        partial(deliver_next, endpoint_id=endpoint.pk, board_id=board.pk),
        partial(delivery_redeliver, actor=owner, delivery_id=delivery.pk),
    )
    assert all(outcome.ok for outcome in outcomes), describe(outcomes)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
