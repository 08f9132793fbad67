"""Socket authentication: cross-site websocket hijacking, tickets, tokens in URLs.

A page on another site can make a victim's browser open a websocket to Corkboard with
the victim's cookies attached; only an Origin equal to the site's own (scheme, host and
port) lets a cookie socket in. Non-browser clients use single-use, expiring tickets, and
a ticket socket never looks at cookies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from accounts.tickets import ticket_issue
from collab.services.users import user_set_active
from project.asgi import application
from tests.factories import make_token
from tests.realtime.sockets import close, open_socket, receive

pytestmark = pytest.mark.django_db(transaction=True)


async def _connects(socket: WebsocketCommunicator) -> bool:
    """Return whether the socket is accepted; a refused one is wound down at once.

    Waiting for the refused application to finish lets it close the database
    connection of the thread it used, which the test database's teardown needs.
    """
    connected, _ = await socket.connect()
    if not connected:
        await socket.disconnect()
    return connected


async def _session_cookie(user: Any) -> bytes:
    client = APIClient()
    await database_sync_to_async(client.force_login)(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _cookie_socket(
    user: Any,
    origin: bytes | None,
    host: bytes = b"localhost",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> tuple[bool, WebsocketCommunicator]:
    headers = [(b"host", host), (b"cookie", await _session_cookie(user)), *(extra or [])]
    if origin is not None:
        headers.append((b"origin", origin))
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    return await _connects(socket), socket


async def _can_read_board(socket: WebsocketCommunicator, board_id: int) -> bool:
    await socket.send_json_to({"type": "subscribe", "board": board_id})
    return (await receive(socket))["type"] == "subscribed"


async def test_same_origin_cookie_socket_is_accepted(team):
    connected, socket = await _cookie_socket(team.member, b"http://localhost")
    assert connected
    assert await _can_read_board(socket, team.board.pk)
    await close(socket)


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(b"http://evil.example", id="foreign-origin"),
        pytest.param(b"null", id="null-origin"),
        pytest.param(None, id="no-origin"),
        pytest.param(b"http://localhost:8080", id="same-host-other-port"),
        pytest.param(b"https://localhost", id="same-host-other-scheme"),
        pytest.param(b"http://evil.localhost", id="subdomain"),
        pytest.param(b"http://localhost.evil.example", id="host-as-prefix"),
        pytest.param(b"http://localhost@evil.example", id="userinfo-trick"),
        pytest.param(b"ws://localhost", id="websocket-scheme"),
        pytest.param(b"file://", id="file-scheme"),
        pytest.param(b"http://localhost:99999", id="invalid-port"),
    ],
)
async def test_cross_site_websocket_hijacking_is_refused(team, origin):
    connected, _ = await _cookie_socket(team.member, origin)
    assert not connected


async def test_cross_site_websocket_hijacking_with_foreign_origin_is_refused(team):
    assert not (await _cookie_socket(team.member, b"https://attacker.example"))[0]


async def test_cross_site_websocket_hijacking_with_null_origin_is_refused(team):
    """Sandboxed iframes and data: URLs send ``Origin: null``."""
    assert not (await _cookie_socket(team.member, b"null"))[0]


async def test_cross_site_websocket_hijacking_origin_same_host_other_port_is_refused(team):
    """Another service on the same host (another port) is another origin."""
    assert not (
        await _cookie_socket(team.member, b"http://localhost:8001", host=b"localhost:8000")
    )[0]
    connected, socket = await _cookie_socket(
        team.member, b"http://localhost:8000", host=b"localhost:8000"
    )
    assert connected
    await close(socket)


async def test_forged_forwarded_proto_does_not_make_an_https_origin_match(team, settings):
    """Without a trusted proxy, a client's X-Forwarded-Proto is not believed."""
    settings.SECURE_PROXY_SSL_HEADER = None
    connected, _ = await _cookie_socket(
        team.member, b"https://localhost", extra=[(b"x-forwarded-proto", b"https")]
    )
    assert not connected


async def test_trusted_origin_is_matched_exactly(team, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    connected, socket = await _cookie_socket(team.member, b"https://app.example.com")
    assert connected
    await close(socket)
    assert not (await _cookie_socket(team.member, b"https://app.example.com:8443"))[0]
    assert not (await _cookie_socket(team.member, b"http://app.example.com"))[0]
    assert not (await _cookie_socket(team.member, b"https://evil.app.example.com"))[0]


async def test_host_not_in_allowed_hosts_cannot_vouch_for_its_origin(team):
    """An attacker's DNS name pointed at our server: Host and Origin agree, but it is not ours."""
    connected, _ = await _cookie_socket(team.member, b"http://evil.example", host=b"evil.example")
    assert not connected


async def test_cookie_socket_of_a_logged_out_session_is_closed(team):
    client = APIClient()
    await database_sync_to_async(client.force_login)(team.member)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    await database_sync_to_async(client.logout)()
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost"), (b"cookie", cookie)],
    )
    connected, code = await socket.connect()
    assert not connected and code == 4401
    await socket.disconnect()


async def test_ticket_socket_never_reads_cookies(team):
    """A page that holds some ticket cannot upgrade it with the victim's cookie."""
    ticket = await database_sync_to_async(ticket_issue)(team.outsider.pk)
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"cookie", await _session_cookie(team.owner)),
    ]
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=headers)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    assert (await receive(socket))["code"] == "not_found"
    await close(socket)


async def test_invalid_ticket_with_a_valid_cookie_is_refused(team):
    """A bad ticket does not fall back to the cookie."""
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"cookie", await _session_cookie(team.owner)),
    ]
    socket = WebsocketCommunicator(application, "/ws/?ticket=forged", headers=headers)
    assert not await _connects(socket)


async def test_ticket_is_single_use(team):
    ticket = await database_sync_to_async(ticket_issue)(team.member.pk)
    first = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert (await first.connect())[0]
    replay = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert not await _connects(replay)
    await close(first)


async def test_ticket_redeemed_concurrently_admits_only_one_socket(team):
    ticket = await database_sync_to_async(ticket_issue)(team.member.pk)
    sockets = [WebsocketCommunicator(application, f"/ws/?ticket={ticket}") for _ in range(5)]
    results = await asyncio.gather(*(_connects(s) for s in sockets))
    assert sum(results) == 1
    await close(*(s for s, connected in zip(sockets, results, strict=True) if connected))


async def test_ticket_expires(team, settings):
    settings.WS_TICKET_TTL_SECONDS = 1
    ticket = await database_sync_to_async(ticket_issue)(team.member.pk)
    await asyncio.sleep(1.5)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert not await _connects(socket)


async def test_ticket_of_a_suspended_user_is_refused(team):
    ticket = await database_sync_to_async(ticket_issue)(team.member.pk)

    def suspend() -> None:
        team.owner.user_permissions.add(Permission.objects.get(codename="moderate"))
        moderator = type(team.owner).objects.get(pk=team.owner.pk)
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)

    await database_sync_to_async(suspend)()
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert not await _connects(socket)


@pytest.mark.parametrize("parameter", ["token", "access_token", "ticket", "auth"])
async def test_token_in_url_is_not_accepted_for_sockets(team, parameter):
    """Tokens never belong in URLs (logs, history, Referer): only tickets open sockets."""
    _, plaintext = await database_sync_to_async(make_token)(team.member)
    socket = WebsocketCommunicator(application, f"/ws/?{parameter}={plaintext}")
    assert not await _connects(socket)


async def test_bearer_header_is_not_accepted_for_sockets(team):
    _, plaintext = await database_sync_to_async(make_token)(team.member)
    headers = [
        (b"host", b"localhost"),
        (b"origin", b"http://localhost"),
        (b"authorization", f"Bearer {plaintext}".encode()),
    ]
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert not await _connects(socket)


async def test_ticket_is_bound_to_the_user_it_was_issued_for(team):
    socket = await open_socket(team.outsider)
    await socket.send_json_to({"type": "subscribe", "board": team.board.pk})
    reply = await receive(socket)
    assert reply["type"] == "error" and reply["code"] == "not_found"
    assert json.dumps(reply).count("Roadmap") == 0
    await close(socket)


# Defect 8: sockets and tickets die with the session or token they came through.


async def _session_client(user: Any) -> APIClient:
    client = APIClient()
    await database_sync_to_async(client.force_login)(user)
    return client


def _cookie_of(client: APIClient) -> bytes:
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _open_cookie_socket(cookie: bytes, board: int) -> WebsocketCommunicator:
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await socket.connect())[0]
    assert await _can_read_board(socket, board)
    return socket


async def _ticket_socket(ticket: str, board: int | None = None) -> tuple[bool, Any]:
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    connected, code = await socket.connect()
    if not connected:
        await socket.disconnect()
        return False, code
    if board is not None:
        assert await _can_read_board(socket, board)
    return True, socket


async def _closed_with(socket: WebsocketCommunicator, timeout: float = 3) -> int | None:
    """Return the close code the server sends next, skipping other frames."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_logout_closes_the_sessions_sockets_and_voids_its_tickets(team):
    client = await _session_client(team.member)
    other = await _session_client(team.member)  # the same user in another browser
    response = await database_sync_to_async(client.post)("/api/v1/auth/ws-ticket/")
    unspent = response.json()["ticket"]
    response = await database_sync_to_async(client.post)("/api/v1/auth/ws-ticket/")
    spent = response.json()["ticket"]
    cookie_socket = await _open_cookie_socket(_cookie_of(client), team.board.pk)
    _, ticket_socket = await _ticket_socket(spent, team.board.pk)
    other_socket = await _open_cookie_socket(_cookie_of(other), team.board.pk)

    response = await database_sync_to_async(client.post)("/api/v1/auth/logout/")
    assert response.status_code == 204

    assert await _closed_with(cookie_socket) == 4410
    assert await _closed_with(ticket_socket) == 4410
    assert await _ticket_socket(unspent) == (False, 4401)
    # Only that session ends: the user's other browser stays connected.
    await other_socket.send_json_to({"type": "ping"})
    assert (await receive(other_socket))["type"] == "pong"
    await close(cookie_socket, ticket_socket, other_socket)


async def test_token_revocation_closes_its_sockets_and_voids_its_tickets(team):
    session = await _session_client(team.member)
    token, plaintext = await database_sync_to_async(make_token)(team.member)
    _, other_plaintext = await database_sync_to_async(make_token)(team.member)
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_plaintext}")

    def ticket(client: APIClient) -> str:
        return str(client.post("/api/v1/auth/ws-ticket/").json()["ticket"])

    spent = await database_sync_to_async(ticket)(bearer)
    unspent = await database_sync_to_async(ticket)(bearer)
    _, socket = await _ticket_socket(spent, team.board.pk)
    _, other_socket = await _ticket_socket(
        await database_sync_to_async(ticket)(other), team.board.pk
    )

    response = await database_sync_to_async(session.delete)(f"/api/v1/tokens/{token.pk}/")
    assert response.status_code == 204

    assert await _closed_with(socket) == 4410
    assert await _ticket_socket(unspent) == (False, 4401)
    # The user's other token keeps its socket.
    await other_socket.send_json_to({"type": "ping"})
    assert (await receive(other_socket))["type"] == "pong"
    await close(socket, other_socket)


async def test_socket_groups_never_carry_the_session_key(team):
    client = await _session_client(team.member)
    socket = await _open_cookie_socket(_cookie_of(client), team.board.pk)
    key = client.cookies["sessionid"].value
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    groups = [group for group in layer._get_layer().groups if group.endswith(key) or key in group]
    assert groups == []
    await close(socket)
