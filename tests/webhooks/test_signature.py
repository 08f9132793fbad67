"""The signature is Standard Webhooks': the reference library and the example agree."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from collab.webhooks import new_secret, signature
from examples.webhook_receiver import verify


def _headers(secrets: list[str], at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(secrets, "msg_1", at, body),
    }


def test_the_reference_library_verifies_our_signature() -> None:
    secret, body, now = new_secret(), json.dumps({"seq": 1}), datetime.now(UTC)
    headers = _headers([secret], now, body)
    assert Webhook(secret).verify(body, headers) == {"seq": 1}
    assert verify(secret, headers, body.encode(), tolerance=300) is None
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    assert verify(secret, headers, b'{"seq": 2}', tolerance=300) == "no signature matches"


def test_both_secrets_sign_during_a_rotation() -> None:
    old, new, body, now = new_secret(), new_secret(), "{}", datetime.now(UTC)
    headers = _headers([new, old], now, body)
    assert headers["webhook-signature"].count("v1,") == 2
    assert verify(old, headers, body.encode(), tolerance=300) is None
    assert verify(new, headers, body.encode(), tolerance=300) is None


def test_the_receiver_refuses_a_stale_timestamp() -> None:
    secret, body = new_secret(), "{}"
    old = datetime.fromtimestamp(time.time() - 600, UTC)
    headers = _headers([secret], old, body)
    assert (
        verify(secret, headers, body.encode(), tolerance=300) == "timestamp outside the tolerance"
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)
