"""The benchmark harness's pieces (bench/): options, frame parsing, the peers, the table.

Fast and without timed assertions: the figures themselves are measured by
``bench/fanout.py`` only.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from bench import fanout, procs, report
from bench.publisher import peer_event
from bench.wsclient import OP_TEXT, ClientPool, client_frame, parse_event, stamp_title


def test_sizes_servers_and_phases_are_parsed() -> None:
    args = fanout.build_parser().parse_args(
        ["--sizes", "100,1k,2000", "--servers", "daphne,bare", "--phases", "fanout,rest"]
    )
    assert args.sizes == [100, 1000, 2000]
    assert args.servers == ["daphne", "bare"]
    assert args.phases == ["fanout", "rest"]
    defaults = fanout.build_parser().parse_args([])
    assert defaults.sizes == [100, 1000, 2000]
    assert defaults.servers == ["bare", "stock", "daphne", "uvicorn"]
    assert defaults.idle_sizes == [5000, 10000]


@pytest.mark.parametrize("option", [["--sizes", "0"], ["--servers", "nginx"], ["--phases", "x"]])
def test_bad_options_are_refused(option: list[str]) -> None:
    with pytest.raises(SystemExit):
        fanout.build_parser().parse_args(option)


def test_event_frames_are_parsed_without_json() -> None:
    title = stamp_title(1700000000.25)
    product = json.dumps(peer_event(41, title), separators=(",", ":")).encode()
    stock = json.dumps(peer_event(42, title)).encode()  # send_json: ", " and ": "
    assert parse_event(product) == (41, 1700000000.25)
    assert parse_event(stock) == (42, 1700000000.25)
    assert parse_event(b'{"type":"subscribed","board":1,"seq":7}') is None
    assert parse_event(b'{"type":"presence","board":1,"members":[]}') is None


def test_client_frames_are_masked() -> None:
    payload = b'{"type":"subscribe","board":1}'
    frame = client_frame(OP_TEXT, payload)
    first, second = struct.unpack("!BB", frame[:2])
    assert first == 0x81 and second == 0x80 | len(payload)
    key, masked = frame[2:6], frame[6:]
    assert bytes(b ^ key[i % 4] for i, b in enumerate(masked)) == payload


def _results() -> dict[str, Any]:
    def run(rate: int, cpu: float, p99: float, lost: int = 0) -> dict[str, Any]:
        return {
            "connect": {"seconds": 1.5},
            "paced": {"p50_ms": p99 / 3, "p99_ms": p99, "lost": lost},
            "burst": {"deliveries_per_s": rate, "server_cpu_us_per_delivery": cpu, "lost": 0},
        }

    def server(label: str, rate: int, cpu: float, p99: float, lost: int = 0) -> dict[str, Any]:
        return {
            "label": label,
            "fanout": {"1000": run(rate, cpu, p99), "2000": run(rate, cpu, p99, lost)},
            "idle": {
                "kib_per_socket_5000": 20.0,
                "kib_per_socket_10000": 18.5,
                "idle_cpu_percent": 0.4,
            },
        }

    return {
        "date": "2026-01-01 00:00 UTC",
        "machine": {"cpu": "Test CPU", "cores": 2},
        "servers": {
            "bare": server("bare", 40000, 10, 40),
            "stock": server("stock", 3000, 300, 600),
            "daphne": server("Corkboard on Daphne", 20000, 35, 150, lost=7),
        },
        "rest": {
            "rows": [
                {"name": "gunicorn", "label": "split", "requests_per_s": 450},
                {"name": "drf", "label": "plain", "requests_per_s": 400},
            ]
        },
        "snapshot": {"cards": 1000, "queries": 8, "ms_median": 120.0, "ms_first": 200.0},
        "client": {"workers": 4, "deliveries": 1000, "cpu_us_per_delivery": 3.2},
    }


def test_the_table_renders_figures_and_ratios() -> None:
    results = _results()
    text = report.render(results)
    assert "| Corkboard on Daphne | 20,000 | 35 | 50 ms / 150 ms | 1.5 s | 20 / 18 |" in text
    assert f"0.50{report.TIMES} / 6.7{report.TIMES}, 0.25{report.TIMES}" in text  # vs bare, stock
    assert "| 0 / 7 |" in text  # lost at N=1,000 and N=2,000
    assert "1,000 cards, 8 queries" in text
    met = {t["target"]: t["met"] for t in report.targets(results)}
    assert met["burst N=1,000 ≥ 0.35x bare"] is True
    assert met["N=2,000: 0 lost, paced p99 ≤ 500 ms"] is False
    assert met["REST WSGI split ≥ 1x plain DRF"] is True


def test_missing_figures_render_as_not_measured() -> None:
    text = report.render({"servers": {"daphne": {"label": "Corkboard on Daphne"}}})
    assert "not measured" in text


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 0.5) == 50.0
    assert report.percentile(values, 0.99) == 99.0
    assert report.percentile([], 0.5) is None


@pytest.fixture
def stack() -> Iterator[fanout.Stack]:
    """A stack on the shared Redis with this test's own channel names; peers only."""
    prefix = f"cbt-bench-{secrets.token_hex(4)}"
    port = int(str(settings.REDIS_URL).rsplit(":", 1)[1].split("/")[0])
    try:
        yield fanout.Stack(redis_port=port, peer_channel=prefix, stock_prefix=prefix)
    finally:
        procs.stop_all()


def _publish(name: str, stack: fanout.Stack, seqs: range) -> None:
    if name == "bare":
        client = redis.Redis.from_url(f"{stack.redis_url}/2")
        for seq in seqs:
            frame = json.dumps(peer_event(seq, stamp_title()), separators=(",", ":"))
            client.publish(stack.peer_channel, frame)
        client.close()
        return
    layer = RedisChannelLayer(hosts=[f"{stack.redis_url}/2"], prefix=stack.stock_prefix)

    async def send() -> None:
        for seq in seqs:
            event = {"type": "board.event", "event": peer_event(seq, stamp_title())}
            await layer.group_send("board-1", event)
        await layer.close_pools()

    asyncio.run(send())


@pytest.mark.parametrize("name", ["bare", "stock"])
def test_a_peer_broadcasts_to_three_sockets(name: str, stack: fanout.Stack) -> None:
    server = fanout.start_server(name, stack)
    pool = ClientPool(1)
    try:
        connected = fanout.connect(pool, server, stack, 3, timeout=20)
        assert connected["connected"] == 3
        pool.all({"op": "window", "low": 1, "high": 5})
        _publish(name, stack, range(1, 6))

        def every_socket_has_all() -> bool:
            return pool.all({"op": "progress"})[0]["complete"] == 3

        assert procs.wait_until(every_socket_has_all, timeout=20)
        result = pool.all({"op": "report"})[0]
        assert result["delivered"] == 15
        assert result["lost"] == 0
        assert len(result["latencies"]) == 15
    finally:
        pool.stop()
        procs.stop(server.process)
