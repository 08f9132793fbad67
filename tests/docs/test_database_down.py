"""A description socket while PostgreSQL is unreachable (a TCP proxy the test controls).

An update that cannot be stored is not fanned out: the socket closes with 1013 and the
client keeps the edit; once the database is back, the reconnect's sync stores it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from collab import docs
from collab.services.docs import doc_load
from tests.docs.editor import Editor, until
from tests.factories import make_card
from tests.faults.proxy import TcpProxy
from tests.servers import DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]


@pytest.fixture
def proxied() -> Iterator[tuple[TcpProxy, str]]:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (
        f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    )
    with TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        server = DaphneServer(
            DATABASE_URL=f"postgres://{credentials}@127.0.0.1:{proxy.port}/{db['NAME']}"
        )
        try:
            server.start()
            yield proxy, server.url
        finally:
            server.close()


def _stored_text(card_id: int) -> str:
    return str(docs.text_of(docs.load(doc_load(card_id).parts)))


async def test_an_edit_while_the_database_is_down_is_kept_and_stored_later(
    team: Any, proxied: tuple[TcpProxy, str]
) -> None:
    proxy, base = proxied
    card = await database_sync_to_async(make_card)(team.member, team.todo, description="a")
    editor = await Editor.open(base, team.member, card.pk)
    await until(lambda: str(editor.text) == "a" and editor.saved >= 1)
    proxy.down()
    editor.type(True, " b")
    await asyncio.wait_for(editor.reader, 20)
    assert editor.socket.close_code == 1013
    assert await database_sync_to_async(_stored_text)(card.pk) == "a"
    proxy.up()
    again = await Editor.open(base, team.member, card.pk, doc=editor.doc)
    await until(lambda: again.saved >= 1, 20)
    assert await database_sync_to_async(_stored_text)(card.pk) == "a b"
    await again.close()
