"""Fan-out benchmark: one board, N sockets on a real Daphne, M REST writes.

Measures how fast every write reaches every socket through channels-redis, with the
consumer's fast path for layer events (no ORM thread hop) and without it (Channels'
default dispatch), so the optimisation is measured rather than assumed.

    .venv/bin/python bench/fanout.py --sockets 200 --writes 40

Prints a table and writes bench/results/fanout.json. Loopback only, bounded in count
and time. Needs Redis on 127.0.0.1:6379 (REDIS_URL to change it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import websockets

ROOT = Path(__file__).resolve().parent.parent
SETUP = """
from collab.services.tokens import token_create
from accounts.tickets import ticket_issue
from collab.services.boards import board_create
from collab.services.columns import column_create
from collab.services.workspaces import workspace_create
from django.contrib.auth import get_user_model
import json
user = get_user_model().objects.create_user("bench", password="bench-password-1")
ws = workspace_create(actor=user, name="Bench")
board = board_create(actor=user, workspace_id=ws.pk, title="Bench")
column = column_create(actor=user, board_id=board.pk, title="Col")
_, token = token_create(actor=user, name="bench", scopes=["read", "write"])
print(json.dumps({"board": board.pk, "column": column.pk, "token": token}))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _run(base: str, fixture: dict[str, Any], sockets: int, writes: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {fixture['token']}"}
    ws_base = base.replace("http://", "ws://")

    async def connect() -> Any:
        ticket = (
            await asyncio.to_thread(
                requests.post, f"{base}/api/v1/auth/ws-ticket/", headers=headers, timeout=10
            )
        ).json()["ticket"]
        socket = await websockets.connect(f"{ws_base}/ws/?ticket={ticket}", open_timeout=30)
        await socket.send(json.dumps({"type": "subscribe", "board": fixture["board"]}))
        while json.loads(await socket.recv())["type"] != "subscribed":
            pass
        return socket

    clients = [await connect() for _ in range(sockets)]
    sent_at: dict[int, float] = {}
    latencies: list[float] = []

    async def reader(socket: Any) -> None:
        received = 0
        while received < writes:
            message = json.loads(await asyncio.wait_for(socket.recv(), 60))
            if message["type"] == "event":
                latencies.append(time.perf_counter() - sent_at[message["seq"]])
                received += 1

    readers = [asyncio.create_task(reader(c)) for c in clients]
    started = time.perf_counter()
    seq = _board_seq(base, fixture)
    for i in range(writes):
        seq += 1
        sent_at[seq] = time.perf_counter()
        response = await asyncio.to_thread(
            requests.post,
            f"{base}/api/v1/cards/",
            json={"column": fixture["column"], "title": f"card {i}"},
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
    await asyncio.gather(*readers)
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in clients))
    latencies.sort()
    return {
        "deliveries": sockets * writes,
        "seconds": round(elapsed, 3),
        "deliveries_per_s": round(sockets * writes / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }


def _board_seq(base: str, fixture: dict[str, Any]) -> int:
    response = requests.get(
        f"{base}/api/v1/boards/{fixture['board']}/",
        headers={"Authorization": f"Bearer {fixture['token']}"},
        timeout=10,
    )
    return int(response.json()["seq"])


def _measure(variant: str, sockets: int, writes: int, redis_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": redis_url,
            "CHANNEL_PREFIX": f"bench{os.getpid()}",
            "CACHE_PREFIX": f"bench{os.getpid()}",
            "CORKBOARD_ALLOW_INSECURE_KEY": "1",
            "THROTTLE_USER": "1000000/min",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run(
            [*manage, "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        fixture = json.loads(out.strip().splitlines()[-1])
        port = _free_port()
        app = (
            "bench.baseline_asgi:application"
            if variant == "default dispatch"
            else "project.asgi:application"
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{base}/api/v1/auth/csrf/", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            result = asyncio.run(asyncio.wait_for(_run(base, fixture, sockets, writes), 300))
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {"variant": variant, "sockets": sockets, "writes": writes, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    rows = [
        _measure(variant, min(args.sockets, 1000), min(args.writes, 500), args.redis_url)
        for variant in ("default dispatch", "fast path")
    ]
    columns = [
        "variant",
        "sockets",
        "writes",
        "deliveries",
        "seconds",
        "deliveries_per_s",
        "p50_ms",
        "p95_ms",
    ]
    print(" | ".join(f"{c:>16}" for c in columns))
    for row in rows:
        print(" | ".join(f"{row[c]!s:>16}" for c in columns))
    out = ROOT / "bench" / "results" / "fanout.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
