"""Helpers to drive the real ASGI app's websocket: Channels' communicator in-process,
and real websocket clients against Daphne processes (the multiprocess and fault tests).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import requests
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tickets import ticket_issue
from project.asgi import application
from tests.factories import make_token


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


# Real clients against Daphne processes.


async def bearer(user: Any) -> dict[str, str]:
    """Return the Authorization header of a new token of the user."""
    _, plaintext = await database_sync_to_async(make_token)(user)
    return {"Authorization": f"Bearer {plaintext}"}


async def post(base: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    """POST to a server from a thread (requests is blocking)."""
    return await asyncio.to_thread(
        requests.post, f"{base}{path}", json=body, headers=headers, timeout=15
    )


async def connect(base: str, headers: dict[str, str]) -> Any:
    """Open a ticket socket on the server at ``base``."""
    response = await post(base, "/api/v1/auth/ws-ticket/", headers)
    assert response.status_code == 200, response.text
    url = base.replace("http://", "ws://") + f"/ws/?ticket={response.json()['ticket']}"
    return await websockets.connect(url, open_timeout=10)


async def subscribe(socket: Any, board: int, since: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "subscribe", "board": board}
    if since is not None:
        message["since"] = since
    await socket.send(json.dumps(message))
    return await next_of(socket, "subscribed")


async def next_of(socket: Any, kind: str, timeout: float = 5) -> dict[str, Any]:
    """Return the next message of type ``kind``, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        message = json.loads(await asyncio.wait_for(socket.recv(), max(remaining, 0.01)))
        if message["type"] == kind:
            return message


async def event_with_seq(socket: Any, seq: int, timeout: float) -> float:
    """Wait for the event with ``seq``; return the monotonic time it arrived."""
    deadline = time.monotonic() + timeout
    while True:
        message = await next_of(socket, "event", deadline - time.monotonic())
        if message["seq"] >= seq:
            assert message["seq"] == seq, message
            return time.monotonic()
