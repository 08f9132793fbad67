"""Helpers to drive the real ASGI app's websocket with Channels' communicator."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tickets import ticket_issue
from project.asgi import application


async def open_socket(
    user: Any, *, subscribe: int | None = None, since: int | None = None
) -> WebsocketCommunicator:
    """Connect as ``user`` with a fresh ticket, optionally subscribing to a board."""
    ticket = await database_sync_to_async(ticket_issue)(user.pk)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    connected, _ = await socket.connect(timeout=5)
    assert connected, "the socket was refused"
    if subscribe is not None:
        message: dict[str, Any] = {"type": "subscribe", "board": subscribe}
        if since is not None:
            message["since"] = since
        await socket.send_json_to(message)
        reply = await receive(socket)
        assert reply["type"] == "subscribed", reply
    return socket


async def receive(socket: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    """Return the next message, skipping presence updates."""
    while True:
        message = json.loads(await socket.receive_from(timeout=timeout))
        if message["type"] != "presence":
            return message


async def receive_events(
    socket: WebsocketCommunicator, count: int, timeout: float = 5
) -> list[dict[str, Any]]:
    """Return the next ``count`` event messages (anything else fails the test)."""
    events = []
    for _ in range(count):
        message = await receive(socket, timeout)
        assert message["type"] == "event", message
        events.append(message)
    return events


async def assert_silent(socket: WebsocketCommunicator, seconds: float = 0.3) -> None:
    """Assert that nothing but presence arrives for a moment.

    Uses ``receive_nothing``: a timed-out ``receive_from`` would cancel the app.
    """
    while not await socket.receive_nothing(timeout=seconds):
        message = json.loads(await socket.receive_from())
        if message["type"] != "presence":
            raise AssertionError(f"unexpected message {message}")


async def close(*sockets: WebsocketCommunicator) -> None:
    for socket in sockets:
        await socket.disconnect()
