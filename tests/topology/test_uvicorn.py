"""uvicorn in Daphne's place: the same ASGI app behind the shipped nginx config.

Two ``uvicorn project.asgi:application`` processes (the flags of docs/operations.md)
serve REST and sockets: reads and writes, a subscription's replay then live events, a
session-cookie socket behind the exact-origin check, the two message-size limits, 1013
past ``WS_MAX_SOCKETS``, and SIGTERM: uvicorn closes its sockets with 1012, as Daphne's
drain does, so clients move to the other process through nginx and miss nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
from django.conf import settings

from tests.conftest import Team
from tests.factories import PASSWORD
from tests.servers import UvicornServer
from tests.topology.clients import (
    SERVICE_RESTART,
    Follower,
    Followers,
    Writer,
    assert_every_seq_once,
    bearer,
    finish,
    head_seq,
    run_async,
    wait_for,
)
from tests.topology.conftest import TOPOLOGY_ENV, Topology

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

API = "/api/v1"
MIB = 1 << 20
FOLLOWERS = 6


def _ws(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws/"


def _ticket(base: str, headers: dict[str, str]) -> str:
    response = requests.post(f"{base}{API}/auth/ws-ticket/", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["ticket"])


async def _until(socket: Any, kind: str) -> dict[str, Any]:
    """Return the next message of type ``kind`` (presence frames may come first)."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if message["type"] == kind:
            return message


def test_rest_reads_and_writes(uvicorn_topology: Topology, uvicorn_team: Team) -> None:
    team, base = uvicorn_team, uvicorn_topology.url
    owner = bearer(team.owner)
    start = head_seq(team.board.pk)
    created = requests.post(
        f"{base}{API}/cards/",
        json={"column": team.todo.pk, "title": "Over uvicorn"},
        headers=owner,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    card = created.json()
    patched = requests.patch(
        f"{base}{API}/cards/{card['id']}/",
        json={"title": "Renamed"},
        headers={**owner, "If-Match": '"1"'},
        timeout=10,
    )
    assert (patched.status_code, patched.json()["version"]) == (200, 2)
    read = requests.get(f"{base}{API}/cards/{card['id']}/", headers=owner, timeout=10)
    assert read.json() == patched.json()
    snapshot = requests.get(
        f"{base}{API}/boards/{team.board.pk}/snapshot/", headers=owner, timeout=10
    )
    assert [c["title"] for c in snapshot.json()["cards"]] == ["Renamed"]
    assert snapshot.json()["board"]["seq"] == head_seq(team.board.pk) == start + 2
    missing = requests.get(f"{base}{API}/cards/999999999/", headers=owner, timeout=10)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    # Served by the uvicorn processes (both, round robin), never by nginx itself.
    served = {e.served_by for e in uvicorn_topology.access.entries() if e.path.startswith(API)}
    assert served == {f"127.0.0.1:{web.port}" for web in uvicorn_topology.webs}


def test_subscribe_replays_then_delivers_live_events(
    uvicorn_topology: Topology, uvicorn_team: Team
) -> None:
    team, base = uvicorn_team, uvicorn_topology.url
    owner = bearer(team.owner)

    def write(title: str) -> dict[str, Any]:
        response = requests.post(
            f"{base}{API}/cards/",
            json={"column": team.todo.pk, "title": title},
            headers=owner,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    start = head_seq(team.board.pk)
    earlier = [write(f"before {n}") for n in range(3)]

    async def follow() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        url = _ws(base) + f"?ticket={_ticket(base, bearer(team.member))}"
        async with websockets.connect(url, open_timeout=5) as socket:
            await socket.send(
                json.dumps({"type": "subscribe", "board": team.board.pk, "since": start + 1})
            )
            subscribed = await _until(socket, "subscribed")
            replayed = [await _until(socket, "event") for _ in range(2)]
            later = await asyncio.to_thread(lambda: [write(f"after {n}") for n in range(2)])
            live = [await _until(socket, "event") for _ in later]
            return subscribed, replayed, [*live, {"written": later}]

    subscribed, replayed, (*live, written) = run_async(follow())
    assert subscribed == {"type": "subscribed", "board": team.board.pk, "seq": start + 3}
    assert [e["seq"] for e in replayed] == [start + 2, start + 3]
    assert [e["data"] for e in replayed] == earlier[1:]
    assert [e["seq"] for e in live] == [start + 4, start + 5]
    assert [e["data"] for e in live] == written["written"]
    assert {e["event"] for e in replayed + live} == {"card.created"}


def _session_cookie(base: str, username: str) -> str:
    """Log in over REST; return the Cookie header of the session."""
    session = requests.Session()
    session.get(f"{base}{API}/auth/csrf/", timeout=10).raise_for_status()
    response = session.post(
        f"{base}{API}/auth/login/",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": session.cookies.get("csrftoken") or ""},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def test_a_session_cookie_socket_needs_this_sites_origin(
    uvicorn_topology: Topology, uvicorn_team: Team
) -> None:
    team, base = uvicorn_team, uvicorn_topology.url
    cookie = _session_cookie(base, team.member.username)

    async def connect(origin: str) -> dict[str, Any] | int:
        headers = {"Cookie": cookie, "Origin": origin}
        try:
            async with websockets.connect(_ws(base), additional_headers=headers) as socket:
                await socket.send(json.dumps({"type": "subscribe", "board": team.board.pk}))
                return await _until(socket, "subscribed")
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else 1006
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    subscribed = run_async(connect(base))
    assert subscribed == {
        "type": "subscribed",
        "board": team.board.pk,
        "seq": head_seq(team.board.pk),
    }
    refused = run_async(connect("http://evil.example"))
    assert refused == 403, "the handshake is refused before the socket opens"


def test_oversized_messages_get_an_error_and_huge_frames_fail_the_socket(
    uvicorn_topology: Topology, uvicorn_team: Team
) -> None:
    team, base = uvicorn_team, uvicorn_topology.url
    headers = bearer(team.member)

    async def sizes() -> tuple[dict[str, Any], dict[str, Any], int | None]:
        async with websockets.connect(_ws(base) + f"?ticket={_ticket(base, headers)}") as socket:
            pad = "x" * (settings.WS_MAX_MESSAGE_BYTES + 1)
            await socket.send(json.dumps({"type": "ping", "pad": pad}))
            error = await _until(socket, "error")
            await socket.send(json.dumps({"type": "ping"}))
            pong = await _until(socket, "pong")
        async with websockets.connect(
            _ws(base) + f"?ticket={_ticket(base, headers)}", max_size=None
        ) as socket:
            try:
                # The close can overtake the send itself, mid-frame: either raises.
                await socket.send(json.dumps({"type": "ping", "pad": "x" * (2 * MIB)}))
                await _until(socket, "pong")
            except websockets.ConnectionClosed as closed:
                return error, pong, closed.rcvd.code if closed.rcvd is not None else None
        return error, pong, 0

    error, pong, code = run_async(sizes())
    # Past WS_MAX_MESSAGE_BYTES the app answers and keeps the socket (as under Daphne)...
    assert error["code"] == "bad_request" and "limited to" in error["message"]
    assert pong == {"type": "pong"}
    # ... past --ws-max-size (1 MiB, Daphne's frame cap) uvicorn fails the connection
    # with 1009. It closes while the 2 MiB frame is still arriving, so the kernel may
    # answer the unread data with a reset that overtakes the close frame (no code): the
    # socket fails either way, and never answers the ping.
    assert code in (1009, None)


def test_a_process_over_ws_max_sockets_refuses_with_1013(
    django_db_setup: None, uvicorn_team: Team
) -> None:
    server = UvicornServer(None, **{**TOPOLOGY_ENV, "WS_MAX_SOCKETS": "1"})
    headers = bearer(uvicorn_team.member)
    server.start()

    async def two() -> int | None:
        async with websockets.connect(_ws(server.url) + f"?ticket={_ticket(server.url, headers)}"):
            url = _ws(server.url) + f"?ticket={_ticket(server.url, headers)}"
            async with websockets.connect(url) as second:
                try:
                    await asyncio.wait_for(second.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd is not None else None
        return None

    try:
        # uvicorn sends the registry code itself (Daphne needs realtime.shutdown's patch).
        assert run_async(two()) == 1013
    finally:
        server.close()


def test_sigterm_closes_sockets_with_1012_and_they_move_to_the_other_process(
    uvicorn_topology: Topology, uvicorn_team: Team, tmp_path: Path
) -> None:
    team = uvicorn_team
    victim, survivor = uvicorn_topology.webs
    followers = Followers(uvicorn_topology.url, bearer(team.member), team.board.pk, FOLLOWERS)
    writer = Writer(uvicorn_topology.url, bearer(team.owner), [team.todo.pk, team.done.pk])

    def moved() -> list[Follower]:
        return [follower for follower in followers.all if len(follower.connections) > 1]

    followers.start()
    writer.start()
    try:
        writer.wait_writes(5)
        stopped_at = time.monotonic()
        exited = victim.terminate()
        wait_for(lambda: bool(moved()) and followers.all_live(), 10, "the moved sockets")
        recovered = max(f.connections[1].caught_up_at or 0 for f in moved()) - stopped_at
        writer.wait_writes(5)
        victim.start()
        writer.wait_writes(3)
    finally:
        head = finish(writer, followers, team.board.pk)
    assert_every_seq_once(followers, head)
    assert exited is not None and exited < settings.REALTIME_SHUTDOWN_GRACE_SECONDS
    log = uvicorn_topology.access.by_request_id()
    for follower in moved():
        first, second = follower.connections[:2]
        assert first.close_code == SERVICE_RESTART
        assert uvicorn_topology.web(log[first.request_id].served_by) is victim
        assert uvicorn_topology.web(log[second.request_id].served_by) is survivor
    # In-flight requests were answered; new ones went to the other process.
    assert writer.failures == []
    # --log-level warning keeps uvicorn's own "WebSocket /ws/?ticket=..." lines out.
    assert "ticket=" not in victim.log() + survivor.log()
    figures = {
        "sockets": FOLLOWERS,
        "sockets_moved": len(moved()),
        "events": head,
        "writes": len(writer.created),
        "failed_writes": len(writer.failures),
        "sigterm_exit_seconds": round(exited, 3),
        "seconds_to_recover": round(recovered, 3),
    }
    print(f"\nuvicorn SIGTERM: {json.dumps(figures)}")
    (tmp_path / "uvicorn_sigterm.json").write_text(json.dumps(figures, indent=2))
