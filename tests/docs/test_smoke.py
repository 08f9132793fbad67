import asyncio

import pytest
from channels.db import database_sync_to_async

from collab.models import Card
from tests.factories import make_card
from tests.realtime.ydoc import YClient

pytestmark = pytest.mark.django_db(transaction=True)


async def test_two_editors_converge(team):
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="hello")
    a = await YClient(team.member, card.pk).connect()
    b = await YClient(team.owner, card.pk).connect()
    assert str(a) == str(b) == "hello"
    assert a.writable and b.writable and a.generation == b.generation
    a.edit(5, " world")
    b.edit(0, "Oh, ")
    await a.flush()
    await b.flush()
    await asyncio.sleep(0.2)
    await a.pump()
    await b.pump()
    assert str(a) == str(b) == "Oh, hello world"
    assert a.saved == a.sent
    await a.disconnect()
    await b.disconnect()
    await asyncio.sleep(0.3)
    card = await database_sync_to_async(Card.objects.get)(pk=card.pk)
    assert card.description == "Oh, hello world"
