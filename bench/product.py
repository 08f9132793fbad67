"""The benchmark's Django-side commands, run in a child process with the product's settings.

    python -m bench.product setup                 # user, boards, columns, token, 1,000 cards
    python -m bench.product tickets USER TOKEN N  # N single-use socket tickets
    python -m bench.product snapshot BOARD TOKEN  # the snapshot's queries and time

Each prints one JSON object on its last line. Everything goes through the services and
the REST views (the product's real paths), never through model writes.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

SNAPSHOT_CARDS = 1000
SNAPSHOT_COLUMNS = 4


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()


def setup() -> dict[str, Any]:
    """Create the bench user, the fan-out board and the 1,000-card snapshot board."""
    from django.contrib.auth import get_user_model

    from collab.services.boards import board_create
    from collab.services.cards import card_create
    from collab.services.columns import column_create
    from collab.services.labels import label_create
    from collab.services.tokens import token_create
    from collab.services.workspaces import workspace_create

    user = get_user_model().objects.create_user("bench", password=None)
    workspace = workspace_create(actor=user, name="Bench")
    board = board_create(actor=user, workspace_id=workspace.pk, title="Fan-out")
    column = column_create(actor=user, board_id=board.pk, title="Live")
    big = board_create(actor=user, workspace_id=workspace.pk, title="1,000 cards")
    columns = [
        column_create(actor=user, board_id=big.pk, title=f"Column {i}").pk
        for i in range(SNAPSHOT_COLUMNS)
    ]
    labels = [label_create(actor=user, board_id=big.pk, name=f"label {i}").pk for i in range(5)]
    started = time.perf_counter()
    for i in range(SNAPSHOT_CARDS):
        card_create(
            actor=user,
            column_id=columns[i % SNAPSHOT_COLUMNS],
            title=f"Card {i}",
            description="A card of the snapshot board. " * 3,
            assignees=[user.pk] if i % 3 == 0 else [],
            labels=labels[: i % 3],
        )
    write_ms = (time.perf_counter() - started) * 1000 / SNAPSHOT_CARDS
    token, plaintext = token_create(actor=user, name="bench", scopes=["read", "write"])
    return {
        "user": user.pk,
        "token_id": token.pk,
        "token": plaintext,
        "board": board.pk,
        "column": column.pk,
        "snapshot_board": big.pk,
        "card_create_ms": round(write_ms, 2),
    }


def tickets(user_id: int, token_id: int, count: int) -> dict[str, Any]:
    """Issue ``count`` socket tickets through the token (as ``POST auth/ws-ticket/`` does)."""
    from accounts.models import ApiToken
    from accounts.tickets import ticket_issue

    token = ApiToken.objects.select_related("user").get(pk=token_id, user_id=user_id)
    if not token.is_usable() or not token.user.is_active:
        raise RuntimeError("the bench token is not usable")
    return {
        "tickets": [
            ticket_issue(
                user_id, token_id=token_id, user=token.user, token_expires_at=token.expires_at
            )
            for _ in range(count)
        ]
    }


def snapshot(board_id: int, token: str, runs: int = 7) -> dict[str, Any]:
    """Time ``GET boards/<id>/snapshot/`` through the whole Django stack, and count queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    url = f"/api/v1/boards/{board_id}/snapshot/"
    timings = []
    queries = 0
    cards = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(
                f"snapshot answered {response.status_code}: {response.content[:300]!r}"
            )
        queries = len(captured.captured_queries)
        cards = len(response.json()["cards"])
    return {
        "cards": cards,
        "queries": queries,
        "ms_median": round(statistics.median(timings[1:]), 1),
        "ms_first": round(timings[0], 1),
    }


def main(argv: list[str]) -> None:
    _django()
    command = argv[0]
    if command == "setup":
        result = setup()
    elif command == "tickets":
        result = tickets(int(argv[1]), int(argv[2]), int(argv[3]))
    elif command == "snapshot":
        result = snapshot(int(argv[1]), argv[2])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
