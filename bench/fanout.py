"""Side-by-side fan-out benchmark: Corkboard (Daphne, uvicorn) and its peers, one run.

Starts everything on 127.0.0.1: a private redis-server, a fresh PostgreSQL database
(migrated), the product under Daphne and under uvicorn, a bare ``websockets``
broadcaster and the stock Channels pattern (bench/peers/), gunicorn for the REST
phase, and the load-client processes; stops all of them at the end, on error and on
Ctrl-C. For each server and each N: connect N sockets to one board (timed), a paced
phase (40 events at 2/s: write-to-socket p50/p99) and a burst (200 events as fast as
the publisher goes: deliveries/s, server CPU µs per delivery, events lost per
subscriber by seq after a settle time). Then idle sockets (RSS per socket at 5,000 and
10,000, idle CPU of 1,000), the REST list page (wrk, 32 connections) and the 1,000-card
snapshot. Prints one table and writes bench/results/fanout-<date>.json and latest.json.

    .venv/bin/python bench/fanout.py                       # everything, ~15 min
    .venv/bin/python bench/fanout.py --servers daphne,bare --sizes 100,1000 --phases fanout
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import procs, report
from bench.procs import PYTHON, ROOT, VENV_BIN
from bench.wsclient import ClientPool

SERVERS = {
    "bare": "bare `websockets` (the ceiling)",
    "stock": "stock Channels (Daphne + `RedisChannelLayer`)",
    "daphne": "**Corkboard on Daphne**",
    "uvicorn": "Corkboard under uvicorn",
}
PHASES = ("fanout", "idle", "rest", "snapshot")
RESULTS = ROOT / "bench" / "results"
DB_NAME = "corkboard_bench"


# The flags README documents and tests/topology/test_uvicorn.py runs.
UVICORN_FLAGS = (
    "--loop uvloop --http httptools --ws websockets-sansio --ws-max-size 1048576 "
    "--ws-per-message-deflate false --lifespan off --proxy-headers "
    "--timeout-graceful-shutdown 7 --no-access-log --log-level warning"
)


def parse_list(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """Split a comma-separated option, refusing names outside ``allowed``."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if allowed is not None:
        unknown = [item for item in items if item not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {list(allowed)}")
    return items


def parse_sizes(text: str) -> list[int]:
    """Parse ``100,1000,2k`` into socket counts (1..12,000)."""
    sizes = []
    for item in parse_list(text):
        value = int(float(item[:-1]) * 1000) if item.lower().endswith("k") else int(item)
        if not 1 <= value <= 12_000:
            raise argparse.ArgumentTypeError(f"N must be 1..12,000, not {value}")
        sizes.append(value)
    return sizes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--servers",
        type=lambda t: parse_list(t, tuple(SERVERS)),
        default=list(SERVERS),
        help="comma-separated: bare,stock,daphne,uvicorn",
    )
    parser.add_argument("--sizes", type=parse_sizes, default=[100, 1000, 2000], help="N values")
    parser.add_argument(
        "--phases",
        type=lambda t: parse_list(t, PHASES),
        default=list(PHASES),
        help="comma-separated: fanout,idle,rest,snapshot",
    )
    parser.add_argument("--paced-events", type=int, default=40)
    parser.add_argument("--paced-rate", type=float, default=2.0)
    parser.add_argument("--burst-events", type=int, default=200)
    parser.add_argument("--idle-sizes", type=parse_sizes, default=[5000, 10000])
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--cap", type=float, default=60.0, help="longest wait for deliveries after the last write"
    )
    parser.add_argument("--connect-timeout", type=float, default=90.0)
    parser.add_argument("--clients", type=int, default=4, help="load-client processes")
    parser.add_argument("--rest-seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record each phase of each server with py-spy into this folder (raw stacks)",
    )
    return parser


# The stores and the fixture.


@dataclass
class Stack:
    """What every server shares: the private Redis, the bench database, the fixture."""

    redis_port: int
    peer_channel: str = "bench-bare"  # the bare peer's Redis pub/sub channel
    stock_prefix: str = "bench-stock"  # the stock peer's channel-layer prefix
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    fixture: dict[str, Any] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"

    def product_env(self, **extra: str) -> dict[str, str]:
        """Return the product's environment: production-like, limits out of the way."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"{self.redis_url}/0",
            "CACHE_URL": f"{self.redis_url}/1",
            "CHANNEL_PREFIX": "bench",
            "CACHE_PREFIX": "bench",
            "DEBUG": "0",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "STATIC_MANIFEST": "0",
            "WS_MAX_SOCKETS": "12000",
            "WS_TICKET_TTL_SECONDS": "1800",
            "WS_RATE_PER_SECOND": "1000",
            "WS_RATE_BURST": "1000",
            "THROTTLE_USER": "100000000/min",
            "THROTTLE_ANON": "100000000/min",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra)
        return env

    def peer_env(self, settings: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "REDIS_URL": f"{self.redis_url}/2",
            "CHANNEL_PREFIX": self.stock_prefix,
            "DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
        }


def start_redis() -> int:
    port = procs.free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--maxclients", "20000"]
    process = procs.start("redis", command)
    procs.wait_port(process, port, "redis")
    return port


def create_database() -> None:
    """Drop and create the bench database (never the test or the product database)."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{DB_NAME}"')


def django_command(stack: Stack, args: list[str], timeout: float = 300) -> dict[str, Any]:
    """Run ``python -m bench.product ...`` with the product's settings; return its JSON."""
    done = subprocess.run(
        [PYTHON, "-m", "bench.product", *args],
        cwd=ROOT,
        env=stack.product_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.product {args[0]} failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prepare(stack: Stack) -> None:
    started = time.monotonic()
    create_database()
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=stack.product_env(),
        check=True,
        timeout=300,
    )
    stack.fixture = django_command(stack, ["setup"])
    print(
        f"database, migrations and fixture ready in {time.monotonic() - started:.0f} s", flush=True
    )


# The servers.


@dataclass
class Server:
    """One running server under test: its process (the one whose CPU and RSS we read)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    seq: int = 1  # the peers' next seq (the product's comes from the board)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def product(self) -> bool:
        return self.name in report.PRODUCT


def daphne_endpoint(host: str, port: int, backlog: int = 1024) -> str:
    """Return Daphne's ``-e`` endpoint with the documented listen backlog."""
    return f"tcp:port={port}:interface={host}:backlog={backlog}"


def server_command(name: str, port: int, stack: Stack) -> tuple[list[str], dict[str, str]]:
    """Return the command line and environment that start server ``name`` on ``port``."""
    daphne = [PYTHON, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
    if name == "daphne":
        # The product's documented command: a listen backlog that absorbs a reconnect
        # storm (Twisted's default of 50 drops SYNs, which clients resend after 1 s).
        command = [PYTHON, "-m", "daphne", "-v", "0", "-e", daphne_endpoint("127.0.0.1", port)]
        return [*command, "project.asgi:application"], stack.product_env()
    if name == "uvicorn":
        # The documented flags (README, "Plain HTTP on gunicorn"; tests/servers.py).
        command = [PYTHON, "-m", "uvicorn", "project.asgi:application", *UVICORN_FLAGS.split()]
        return [*command, "--host", "127.0.0.1", "--port", str(port)], stack.product_env()
    if name == "stock":
        env = stack.peer_env("bench.peers.stock_settings")
        return [*daphne, "bench.peers.stock_asgi:application"], env
    if name == "bare":
        command = [PYTHON, "-m", "bench.peers.bare", "--port", str(port)]
        command += ["--redis", f"{stack.redis_url}/2", "--channel", stack.peer_channel]
        return command, dict(os.environ)
    if name == "gunicorn":
        command = [str(VENV_BIN / "gunicorn"), "project.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"]
        return [*command, "--log-level", "warning"], stack.product_env()
    if name == "drf":
        command = [str(VENV_BIN / "gunicorn"), "bench.peers.drf_wsgi", "-w", "2"]
        command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning"]
        return command, stack.peer_env("bench.peers.drf_settings")
    raise ValueError(name)


def start_server(name: str, stack: Stack) -> Server:
    port = procs.free_port()
    command, env = server_command(name, port, stack)
    process = procs.start(name, command, env)
    procs.wait_port(process, port, name)
    return Server(name, port, process)


def socket_paths(server: Server, stack: Stack, count: int) -> list[str]:
    """Return ``count`` socket URLs' paths: fresh single-use tickets for the product."""
    if not server.product:
        return ["/ws/"] * count
    fixture = stack.fixture
    issued = django_command(
        stack, ["tickets", str(fixture["user"]), str(fixture["token_id"]), str(count)]
    )
    return [f"/ws/?ticket={ticket}" for ticket in issued["tickets"]]


def subscribe_frame(server: Server, stack: Stack) -> str:
    board = stack.fixture["board"] if server.product else 1
    return json.dumps({"type": "subscribe", "board": board})


def connect(
    pool: ClientPool, server: Server, stack: Stack, count: int, timeout: float
) -> dict[str, Any]:
    """Connect and subscribe ``count`` more sockets; the clock runs until each subscribed."""
    spare = count // 5 + 20
    paths = socket_paths(server, stack, count + spare)
    cpu_before = procs.cpu_seconds(server.pid)
    result = pool.connect(
        paths[:count],
        paths[count:],
        "127.0.0.1",
        server.port,
        subscribe_frame(server, stack),
        timeout,
    )
    result["seconds"] = round(result["seconds"], 2)
    cpu = procs.cpu_seconds(server.pid) - cpu_before
    result["server_cpu_ms_per_socket"] = round(cpu * 1000 / max(1, result["connected"]), 2)
    return result


# The phases.


def publisher_command(server: Server, stack: Stack, count: int, rate: float) -> list[str]:
    command = [PYTHON, "-m", "bench.publisher"]
    if server.product:
        fixture = stack.fixture
        command += ["product", "--board", str(fixture["board"]), "--column", str(fixture["column"])]
    elif server.name == "bare":
        command += ["bare", "--redis", f"{stack.redis_url}/2", "--channel", stack.peer_channel]
        command += ["--first-seq", str(server.seq)]
    else:
        command += ["stock", "--first-seq", str(server.seq)]
    return [*command, "--count", str(count), "--rate", str(rate)]


def _read_json_line(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    """Return the next JSON line the publisher prints (other lines are logs)."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the publisher exited (code {process.wait()})")
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise TimeoutError("the publisher did not answer")


def wait_delivered(pool: ClientPool, settle: float, cap: float) -> bool:
    """Wait until every socket has the phase's events; False after ``settle`` s without
    one more delivery (a stall: what is missing then is lost) or ``cap`` s in all."""
    started = last_change = time.monotonic()
    delivered = -1
    while True:
        progress = pool.all({"op": "progress"})
        if sum(p["complete"] for p in progress) >= sum(p["sockets"] for p in progress):
            return True
        now = time.monotonic()
        total = sum(p["delivered"] for p in progress)
        if total != delivered:
            delivered, last_change = total, now
        if now - last_change > settle or now - started > cap:
            return False
        time.sleep(0.1)


def events_phase(
    pool: ClientPool,
    server: Server,
    stack: Stack,
    count: int,
    rate: float,
    settle: float,
    cap: float = 60.0,
) -> dict[str, Any]:
    """Write ``count`` events at ``rate`` and measure what reached every socket.

    The phase ends when every socket has every event, after ``settle`` seconds without
    progress, or ``cap`` seconds after the last write.
    """
    env = stack.product_env() if server.product else stack.peer_env("bench.peers.stock_settings")
    publisher = subprocess.Popen(
        publisher_command(server, stack, count, rate),
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = int(_read_json_line(publisher, 60)["first_seq"])
        low, high = first, first + count - 1
        pool.all({"op": "window", "low": low, "high": high})
        client_cpu = sum(r["cpu"] for r in pool.all({"op": "report"}))
        cpu_before = procs.cpu_seconds(server.pid)
        started = time.time()
        assert publisher.stdin is not None
        publisher.stdin.write("go\n")
        publisher.stdin.flush()
        written = _read_json_line(publisher, count / (rate or 50) + 120)
        written_at = time.time()
        server.seq = high + 1

        settled = wait_delivered(pool, settle, cap)
        cpu_after = procs.cpu_seconds(server.pid)
        finished = time.time()
    finally:
        if publisher.poll() is None:
            publisher.kill()
        publisher.wait()
    reports = pool.all({"op": "report"})
    latencies = [x for r in reports for x in r.pop("latencies")]
    delivered = sum(r["delivered"] for r in reports)
    last = max((r["last_receipt"] for r in reports), default=0.0)
    window = (last - started) if delivered and last > started else (finished - started)
    p50, p99 = report.percentile(latencies, 0.5), report.percentile(latencies, 0.99)
    return {
        "events": count,
        "sockets": sum(r["sockets"] for r in reports),
        "expected": sum(r["expected"] for r in reports),
        "delivered": delivered,
        "lost": sum(r["lost"] for r in reports),
        "max_lost_per_socket": max((r["max_lost"] for r in reports), default=0),
        "sockets_missing_events": sum(r["sockets_missing"] for r in reports),
        "sockets_closed": sum(r["closed"] for r in reports),
        "duplicates": sum(r["duplicates"] for r in reports),
        "all_delivered": settled,
        "publish_seconds": written["seconds"],
        "publisher_write_ms": written["write_ms"],
        "publisher_cpu_ms_per_write": written.get("cpu_ms_per_write"),
        "delivery_seconds": round(window, 3),
        "after_last_write_seconds": round(max(0.0, last - written_at), 3),
        "deliveries_per_s": round(delivered / window) if window > 0 else None,
        "server_cpu_s": round(cpu_after - cpu_before, 3),
        "server_cpu_us_per_delivery": round((cpu_after - cpu_before) * 1e6 / delivered, 1)
        if delivered
        else None,
        "client_cpu_s": round(sum(r["cpu"] for r in reports) - client_cpu, 3),
        "p50_ms": round(p50 * 1000, 1) if p50 is not None else None,
        "p99_ms": round(p99 * 1000, 1) if p99 is not None else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def quiet(server: Server, seconds: float = 15.0) -> float:
    """Wait (bounded) until the server uses under 10 % of a core; return the wait."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        before = procs.cpu_seconds(server.pid)
        time.sleep(0.5)
        if procs.cpu_seconds(server.pid) - before < 0.05:
            break
    return round(time.monotonic() - started, 1)


def fanout_run(name: str, n: int, stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """One server, N sockets: connect, paced, burst. A fresh server process per N."""
    server = start_server(name, stack)
    pool = ClientPool(args.clients)
    result: dict[str, Any] = {"sockets": n}
    try:
        # Every server is measured settled: started, its startup work done.
        result["quiet_before_connect_s"] = quiet(server)
        with procs.profiled(server.pid, _profile(args, name, n, "connect")):
            result["connect"] = connect(pool, server, stack, n, args.connect_timeout)
        print(f"  {name} N={n}: connected {result['connect']}", flush=True)
        if result["connect"]["connected"] == 0:
            result["error"] = "no socket connected"
            return result
        result["quiet_after_connect_s"] = quiet(server)
        with procs.profiled(server.pid, _profile(args, name, n, "paced")):
            result["paced"] = events_phase(
                pool, server, stack, args.paced_events, args.paced_rate, args.settle, args.cap
            )
        print(f"  {name} N={n}: paced {_brief(result['paced'])}", flush=True)
        quiet(server)
        with procs.profiled(server.pid, _profile(args, name, n, "burst")):
            result["burst"] = events_phase(
                pool, server, stack, args.burst_events, 0, args.settle, args.cap
            )
        print(f"  {name} N={n}: burst {_brief(result['burst'])}", flush=True)
    except Exception as error:  # a stalled or crashed server is a result, not a crash
        result["error"] = f"{type(error).__name__}: {error}"[:300]
        print(f"  {name} N={n}: {result['error']}", flush=True)
    finally:
        pool.stop()
        procs.stop(server.process)
    return result


def _profile(args: argparse.Namespace, name: str, n: int, phase: str) -> Path | None:
    """Return where ``--profile`` puts a phase's py-spy record, or None without it."""
    return None if args.profile is None else args.profile / f"{name}-{n}-{phase}.txt"


def _brief(phase: dict[str, Any]) -> str:
    keys = ("deliveries_per_s", "server_cpu_us_per_delivery", "p50_ms", "p99_ms", "lost")
    return ", ".join(f"{k}={phase.get(k)}" for k in keys)


def idle_run(name: str, stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """RSS per idle socket at each idle size, and the CPU of 1,000 idle sockets."""
    server = start_server(name, stack)
    pool = ClientPool(args.clients)
    result: dict[str, Any] = {}
    try:
        warm = connect(pool, server, stack, 10, 30)
        time.sleep(1)
        base = procs.rss_bytes(server.pid)
        result["rss_base_mib"] = round(base / 2**20, 1)
        opened = warm["connected"]
        step = connect(pool, server, stack, 1000 - opened, args.connect_timeout)
        opened += step["connected"]
        quiet(server, 10)
        with procs.profiled(server.pid, _profile(args, name, opened, "idle")):
            before, at = procs.cpu_seconds(server.pid), time.monotonic()
            time.sleep(args.idle_seconds)
            cpu = procs.cpu_seconds(server.pid) - before
        result["idle_sockets"] = opened
        result["idle_cpu_percent"] = round(cpu * 100 / (time.monotonic() - at), 2)
        for size in args.idle_sizes:
            step = connect(pool, server, stack, size - opened, args.connect_timeout * 2)
            opened += step["connected"]
            quiet(server, 10)
            rss = procs.rss_bytes(server.pid)
            result[f"connect_to_{size}"] = step
            result[f"rss_{size}_mib"] = round(rss / 2**20, 1)
            result[f"kib_per_socket_{size}"] = round((rss - base) / 1024 / max(1, opened - 10), 1)
            per_socket = result[f"kib_per_socket_{size}"]
            print(f"  {name} idle: {size} -> {opened} open, {per_socket} KiB/socket", flush=True)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:300]
        print(f"  {name} idle: {result['error']}", flush=True)
    finally:
        pool.stop()
        procs.stop(server.process)
    return result


def wrk(url: str, seconds: float, headers: dict[str, str]) -> dict[str, Any]:
    """Run wrk (32 connections, 2 threads) against ``url``; parse req/s, p99 and errors."""
    command = ["wrk", "-t2", "-c32", f"-d{int(seconds)}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    result: dict[str, Any] = {"errors": 0}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["requests_per_s"] = round(float(words[1]))
        elif line.strip().startswith("99%"):
            result["p99_ms"] = _ms(words[1])
        elif line.strip().startswith("Non-2xx"):
            result["errors"] += int(words[-1])
        elif line.strip().startswith("Socket errors"):
            result["errors"] += sum(int(w.strip(",")) for w in words if w.strip(",").isdigit())
    return result


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * factor, 1)
    return float(text)


def python_load(url: str, seconds: float, headers: dict[str, str]) -> dict[str, Any]:
    """Fallback without wrk: 32 keep-alive connections from threads in 2 processes."""
    from bench.httpload import run

    return run(url, seconds, headers, connections=32, processes=2)


def rest_phase(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """The 50-card list page at 32 connections: Daphne, gunicorn (the split), plain DRF."""
    fixture = stack.fixture
    product_path = f"/api/v1/cards/?board={fixture['snapshot_board']}"
    auth = {"Authorization": f"Bearer {fixture['token']}"}
    rows = []
    load = wrk if shutil.which("wrk") else python_load
    plan = [
        ("daphne", "Corkboard on Daphne alone", product_path, auth),
        ("gunicorn", "Corkboard WSGI split (gunicorn -w 2)", product_path, auth),
        (
            "drf",
            "plain DRF ListAPIView (gunicorn -w 2)",
            f"/cards/?board={fixture['snapshot_board']}",
            {},
        ),
    ]
    for name, label, path, headers in plan:
        row: dict[str, Any] = {"name": name, "label": label}
        server = start_server(name, stack)
        try:
            url = f"http://127.0.0.1:{server.port}{path}"
            row["check"] = _check_page(url, headers)
            load(url, 2, headers)  # warm-up: connections, caches
            with procs.profiled(server.pid, _profile(args, name, 32, "rest"), children=True):
                row.update(load(url, args.rest_seconds, headers))
        except Exception as error:
            row["error"] = f"{type(error).__name__}: {error}"[:300]
        finally:
            procs.stop(server.process)
        print(f"  rest {name}: {row}", flush=True)
        rows.append(row)
    return {"tool": load.__name__, "connections": 32, "seconds": args.rest_seconds, "rows": rows}


def _check_page(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Fetch the page once: it must answer 200 with 50 results."""
    import urllib.request

    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = json.loads(response.read())
    return {"status": 200, "results": len(body.get("results", [])), "bytes": len(json.dumps(body))}


def machine() -> dict[str, Any]:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cpu": model, "cores": os.cpu_count(), "python": sys.version.split()[0]}


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return done.stdout.strip() + (" + uncommitted changes" if dirty else "")


def client_cost(results: dict[str, Any], workers: int) -> dict[str, Any]:
    deliveries = 0
    cpu = 0.0
    for server in results["servers"].values():
        for run in server.get("fanout", {}).values():
            for phase in ("paced", "burst"):
                if run.get(phase):
                    deliveries += run[phase]["delivered"]
                    cpu += run[phase]["client_cpu_s"]
    return {
        "workers": workers,
        "deliveries": deliveries,
        "cpu_s": round(cpu, 2),
        "cpu_us_per_delivery": round(cpu * 1e6 / deliveries, 1) if deliveries else None,
    }


def write_results(results: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    path = out / f"fanout-{stamp}.json"
    text = json.dumps(results, indent=2)
    path.write_text(text)
    (out / "latest.json").write_text(text)
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    procs.raise_fd_limit()
    started = time.monotonic()
    stack = Stack(redis_port=start_redis())
    prepare(stack)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": commit(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "fixture": {"card_create_ms": stack.fixture.get("card_create_ms")},
        "servers": {name: {"label": SERVERS[name]} for name in args.servers},
    }
    for name in args.servers:
        entry = results["servers"][name]
        if "fanout" in args.phases:
            entry["fanout"] = {}
            for n in args.sizes:
                print(f"{name}: fan-out to {n} sockets", flush=True)
                entry["fanout"][str(n)] = fanout_run(name, n, stack, args)
        if "idle" in args.phases:
            print(f"{name}: idle sockets", flush=True)
            entry["idle"] = idle_run(name, stack, args)
    if "rest" in args.phases:
        print("REST list page", flush=True)
        results["rest"] = rest_phase(stack, args)
    if "snapshot" in args.phases:
        try:
            results["snapshot"] = django_command(
                stack, ["snapshot", str(stack.fixture["snapshot_board"]), stack.fixture["token"]]
            )
        except Exception as error:
            results["snapshot"] = {"error": f"{type(error).__name__}: {error}"[:300]}
    results["client"] = client_cost(results, args.clients)
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.monotonic() - started)
    return results


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    procs.install_cleanup()
    try:
        results = run(args)
    finally:
        procs.stop_all()
    path = write_results(results, args.out)
    print()
    print(report.render(results))
    print(
        f"\nwrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
        f"and latest.json in {results['seconds']} s"
    )


if __name__ == "__main__":
    main()
