"""Convergence, as a property (hypothesis): three clients edit one description through the
real ASGI app, PostgreSQL and Redis, with disconnects, offline edits, duplicated and
reordered deliveries and resets (restores) mid-run; at the end every client, the
server's document, the stored document and ``Card.description`` hold the same text, and
no inserted token appears twice (a reset never doubles the text)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from collab import docs
from collab.models import Card
from collab.services.cards import card_reset_description
from collab.services.docs import doc_load
from realtime.docs import open_rooms
from tests.conftest import Team
from tests.factories import make_card
from tests.realtime.ydoc import YClient

pytestmark = pytest.mark.django_db(transaction=True)

OPERATIONS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(
            ["insert", "insert", "insert", "delete", "flush", "flush", "pump", "reorder",
             "duplicate", "disconnect", "reconnect", "reset"]
        ),
        st.floats(0, 1),
        st.integers(1, 4),
    ),
    min_size=5,
    max_size=30,
)  # fmt: skip
RUNS: list[int] = []


async def _refresh(clients: list[YClient], index: int, users: list[Any], card_id: int) -> None:
    """Replace a client told of a new generation (4409) with a fresh one, as browsers do."""
    client = clients[index]
    if client.closed is not None and client.closed["code"] == 4409:
        await client.disconnect()
        fresh = YClient(users[index], card_id)
        clients[index] = await fresh.connect(generation=client.current_generation)


async def _settle(clients: list[YClient], users: list[Any], card_id: int) -> None:
    """Bring every client online and exchange until quiet (a 4409 meanwhile: a fresh one)."""
    for _ in range(5):
        for index in range(len(clients)):
            if clients[index].socket is None or clients[index].closed is not None:
                await _refresh(clients, index, users, card_id)
            if clients[index].socket is None or clients[index].closed is not None:
                generation = clients[index].generation
                await clients[index].disconnect()
                await clients[index].connect(generation=generation)
                await _refresh(clients, index, users, card_id)
        for _ in range(3):
            for client in clients:
                await client.flush()
            await asyncio.sleep(0.05)
            for client in clients:
                await client.pump(0.1)
        if all(client.closed is None for client in clients):
            return


def _stored_text(card_id: int) -> str:
    return str(docs.text_of(docs.load(doc_load(card_id).parts)))


@override_settings(DOC_RATE_BURST=10_000, DOC_PROJECT_SECONDS=0.2)
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure prints its example
    # The same examples every run, so that CI is reproducible; other seeds by hand with
    # --hypothesis-seed=N and derandomize off. Seed 3 found a client that joined while a
    # reordered deletion waited for its text and never got it (realtime.docs: the room
    # now writes what an update changed, not the update as received).
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
async def test_every_copy_converges_and_nothing_doubles(team: Team, operations: Any) -> None:
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="seed")
    users = [team.member, team.admin, team.owner]
    clients = [await YClient(user, card.pk).connect() for user in users]
    token = 0
    for index, operation, where, size in operations:
        client = clients[index]
        online = client.socket is not None and client.closed is None
        text = str(client)
        position = int(where * len(text))
        if operation == "insert":
            token += 1
            client.edit(position, f"<{token}>")
        elif operation == "delete" and text:
            client.edit(min(position, len(text) - 1), delete=size)
        elif operation == "flush" and online:
            await client.flush()
        elif operation == "reorder" and online:
            await client.flush_reversed()
        elif operation == "duplicate" and online:
            await client.resend()
        elif operation == "pump" and online:
            await client.pump(0.05)
        elif operation == "disconnect" and online:
            await client.disconnect()
        elif operation == "reconnect" and not online:
            generation = client.generation
            await client.disconnect()
            await client.connect(generation=generation)
        elif operation == "reset":
            await database_sync_to_async(card_reset_description)(actor=team.owner, card_id=card.pk)
            for other in clients:
                if other.socket is not None and other.closed is None:
                    await other.pump(0.1)
        await _refresh(clients, index, users, card.pk)
    await _settle(clients, users, card.pk)
    texts = [str(client) for client in clients]
    assert texts[0] == texts[1] == texts[2], texts
    room = open_rooms()[card.pk]
    assert str(docs.text_of(room.doc)) == texts[0]
    assert await database_sync_to_async(_stored_text)(card.pk) == texts[0]
    for number in set(re.findall(r"<(\d+)>", texts[0])):
        assert texts[0].count(f"<{number}>") == 1, texts[0]
    for client in clients:
        await client.disconnect()
    for _ in range(50):  # the last editor's leaving projects the text
        description = await database_sync_to_async(
            lambda: Card.objects.values_list("description", flat=True).get(pk=card.pk)
        )()
        if description == texts[0]:
            break
        await asyncio.sleep(0.1)
    assert description == texts[0]
    RUNS.append(len(operations))


def test_report_the_runs() -> None:
    """Print what the property ran (the figures of the closing note)."""
    print(f"\nconvergence: {len(RUNS)} runs, {sum(RUNS)} operations")
