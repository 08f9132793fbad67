"""The description socket on the real ASGI app and Redis: access, limits, bad frames,
generations, REST edits during editing and awareness. A refused frame stores nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from collab.models import Card, CardDoc, CardDocUpdate
from collab.services.boards import board_set_locked
from collab.services.cards import card_reset_description
from collab.services.users import user_set_active
from project.asgi import application
from realtime import ywire
from tests.conftest import Team, client_for
from tests.factories import make_card
from tests.realtime.ydoc import YClient

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _card(team: Team, description: str = "hello") -> Card:
    return make_card(team.member, team.todo, description=description)


@database_sync_to_async
def _stored(card_id: int) -> tuple[Any, ...]:
    row = CardDoc.objects.filter(card_id=card_id).values_list("generation", "head_seq").first()
    updates = CardDocUpdate.objects.filter(doc_id=card_id).count()
    return row, updates, Card.objects.get(pk=card_id).description


async def _edit_and_send(client: YClient, text: str) -> None:
    client.edit(len(str(client)), text)
    await client.flush()
    await client.pump()


async def test_no_credential_is_refused_and_a_stranger_or_a_missing_card_4404(team: Team) -> None:
    card = await _card(team)
    # No ticket and no session: refused at the handshake, as /ws/ is.
    socket = WebsocketCommunicator(application, f"/ws/cards/{card.pk}/doc/")
    connected, _ = await socket.connect()
    assert not connected
    outsider = YClient(team.outsider, card.pk)
    await outsider.connect()
    assert outsider.closed is not None and outsider.closed["code"] == 4404
    missing = YClient(team.member, 999_999)
    await missing.connect()
    assert missing.closed is not None and missing.closed["code"] == 4404


async def test_a_viewer_syncs_read_only_and_its_write_is_refused(team: Team) -> None:
    card = await _card(team)
    viewer = await YClient(team.viewer, card.pk).connect()
    assert viewer.writable is False and str(viewer) == "hello"
    before = await _stored(card.pk)
    await _edit_and_send(viewer, " vandal")
    assert viewer.closed is not None and viewer.closed["code"] == 4403
    assert await _stored(card.pk) == before


async def test_a_locked_board_is_read_only_for_members_not_for_its_admins(team: Team) -> None:
    card = await _card(team)
    await database_sync_to_async(board_set_locked)(
        actor=team.owner, board_id=team.board.pk, locked=True
    )
    member = await YClient(team.member, card.pk).connect()
    assert member.writable is False
    admin = await YClient(team.admin, card.pk).connect()
    assert admin.writable is True
    await _edit_and_send(admin, " by the admin")
    assert admin.saved == admin.sent and admin.closed is None
    before = await _stored(card.pk)
    await _edit_and_send(member, " by a member")
    assert member.closed is not None and member.closed["code"] == 4403
    assert await _stored(card.pk) == before
    await admin.disconnect()


async def test_a_lock_while_editing_refuses_the_next_update(team: Team) -> None:
    card = await _card(team)
    member = await YClient(team.member, card.pk).connect()
    await database_sync_to_async(board_set_locked)(
        actor=team.owner, board_id=team.board.pk, locked=True
    )
    before = await _stored(card.pk)
    await _edit_and_send(member, " after the lock")
    assert member.closed is not None and member.closed["code"] == 4403
    assert await _stored(card.pk) == before


async def test_a_suspended_user_is_cut_off(team: Team) -> None:
    card = await _card(team)
    member = await YClient(team.member, card.pk).connect()
    staff = await database_sync_to_async(_superuser)()
    await database_sync_to_async(user_set_active)(actor=staff, user_id=team.member.pk, active=False)
    closed = await member.wait_closed(5)
    assert closed["code"] == 4403


def _superuser() -> Any:
    from tests.factories import make_user

    return make_user("root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00\x02\x80", 4400),  # a truncated varint
        (b"garbage!", 4400),  # not a message type
        (b"\x07", 4400),  # an unknown message type
        (ywire.sync(ywire.UPDATE, b"\x00\x00") + b"\x00", 4400),  # trailing bytes
        (ywire.sync(ywire.UPDATE, b"\xff\xff\xff\xff"), 4400),  # not a Yjs update
        (ywire.sync(ywire.STEP1, b"\xff\xff"), 4400),  # not a state vector
        (b"\x01\x05\x01\x01\x01\x01{", 4400),  # awareness that is not JSON
    ],
)
async def test_a_bad_frame_closes_with_4400_and_stores_nothing(
    team: Team, frame: bytes, code: int
) -> None:
    card = await _card(team)
    client = await YClient(team.member, card.pk).connect()
    before = await _stored(card.pk)
    await client.send_raw(frame)
    assert (await client.wait_closed())["code"] == code
    assert await _stored(card.pk) == before


async def test_a_text_frame_and_an_oversized_frame_are_refused(team: Team) -> None:
    card = await _card(team)
    client = await YClient(team.member, card.pk).connect()
    assert client.socket is not None
    await client.socket.send_to(text_data="hello")
    assert (await client.wait_closed())["code"] == 4400
    client = await YClient(team.member, card.pk).connect()
    before = await _stored(card.pk)
    with override_settings(DOC_MAX_MESSAGE_BYTES=1024):
        await client.send_raw(ywire.sync(ywire.UPDATE, b"\x00" * 2000))
        assert (await client.wait_closed())["code"] == 4413
    assert await _stored(card.pk) == before


async def test_text_over_the_description_limit_is_refused(team: Team) -> None:
    card = await _card(team, "")
    client = await YClient(team.member, card.pk).connect()
    before = await _stored(card.pk)
    client.edit(0, "x" * 50_001)
    await client.flush()
    assert (await client.wait_closed())["code"] == 4400
    assert await _stored(card.pk) == before


@override_settings(DOC_RATE_BURST=5, DOC_RATE_PER_SECOND=1.0)
async def test_too_many_frames_close_with_4429(team: Team) -> None:
    card = await _card(team)
    client = await YClient(team.member, card.pk).connect()
    for index in range(10):
        client.edit(0, str(index))
        await client.flush()
    assert (await client.wait_closed())["code"] == 4429


async def test_another_generation_is_4409_and_a_reset_closes_every_editor(team: Team) -> None:
    card = await _card(team)
    stale = YClient(team.member, card.pk)
    await stale.connect(generation="0" * 32)
    assert stale.closed is not None and stale.closed["code"] == 4409
    first = await YClient(team.member, card.pk).connect()
    second = await YClient(team.owner, card.pk).connect()
    await _edit_and_send(first, " world")
    await second.pump()
    generation = await database_sync_to_async(card_reset_description)(
        actor=team.owner, card_id=card.pk
    )
    for client in (first, second):
        closed = await client.wait_closed(5)
        assert closed["code"] == 4409
        assert client.current_generation == generation  # told by a hello before the close
    fresh = await YClient(team.member, card.pk).connect(generation=generation)
    assert str(fresh) == "hello world"  # once: the old history is not merged in
    # A client that kept the old document is refused rather than doubling the text.
    old = await YClient(team.member, card.pk).connect(generation=first.generation)
    assert old.closed is not None and old.closed["code"] == 4409
    await fresh.disconnect()


async def test_a_rest_patch_during_editing_is_a_diff(team: Team) -> None:
    card = await _card(team, "one two three")
    alice = await YClient(team.member, card.pk).connect()
    bob = await YClient(team.owner, card.pk).connect()
    alice.edit(0, "A: ")
    await alice.flush()
    await bob.pump()
    client = await database_sync_to_async(client_for)(team.admin)
    response = await database_sync_to_async(client.patch)(
        f"/api/v1/cards/{card.pk}/", {"description": "A: one 2 three"}, format="json"
    )
    assert response.status_code == 200, response.content
    bob.edit(len(str(bob)), " (bob)")  # typed while the PATCH was on its way
    await bob.flush()
    await asyncio.sleep(0.2)
    for editor in (alice, bob):
        await editor.pump()
    assert str(alice) == str(bob) == "A: one 2 three (bob)"
    await alice.disconnect()
    await bob.disconnect()


async def test_cursors_carry_the_server_s_name_and_go_when_the_socket_closes(team: Team) -> None:
    card = await _card(team)
    alice = await YClient(team.member, card.pk).connect()
    bob = await YClient(team.owner, card.pk).connect()
    state = {"user": {"name": "someone else"}, "cursor": {"anchor": 1, "head": 2}}
    await alice.send_raw(ywire.awareness([ywire.AwarenessEntry(alice.doc.client_id, 1, state)]))
    await bob.pump()
    seen = bob.awareness[alice.doc.client_id]
    assert seen["user"]["name"] == "member" and seen["user"]["id"] == team.member.pk
    assert seen["cursor"] == {"anchor": 1, "head": 2}
    # Nobody speaks for another client id.
    await bob.send_raw(ywire.awareness([ywire.AwarenessEntry(alice.doc.client_id, 9, None)]))
    await bob.pump()
    assert alice.doc.client_id in bob.awareness
    await alice.disconnect()
    await bob.pump()
    assert alice.doc.client_id not in bob.awareness
    late = await YClient(team.admin, card.pk).connect()
    assert alice.doc.client_id not in late.awareness
    await bob.disconnect()
    await late.disconnect()
