"""The publisher: one process per phase that writes N events at a rate, then reports.

    python -m bench.publisher product --board B --column C --count 40 --rate 2
    python -m bench.publisher bare --redis URL --channel NAME --first-seq S --count 200
    python -m bench.publisher stock --first-seq S --count 200      (stock peer's settings)

``product`` calls the card service (``card_create``): every event is a committed,
sequenced event published by the product's own after-commit path. The peers get the
same rate and a frame of the same shape. Every event's card title carries the write's
start time (``bench-ts:<unix time>``), so the clients measure write-to-socket latency
without sharing a map. Prints ``{"ready": ..., "first_seq": ...}``, waits for a line on
stdin, writes, and prints ``{"seconds": ..., "write_ms": ...}``. ``--rate 0``: as fast
as it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.wsclient import stamp_title

BOARD = 1


def peer_event(seq: int, title: str) -> dict[str, Any]:
    """Return an event of the product's frame shape (a ``card.created``) for the peers."""
    return {
        "type": "event",
        "board": BOARD,
        "seq": seq,
        "event": "card.created",
        "data": {
            "id": 100000 + seq,
            "board": BOARD,
            "column": 1,
            "title": title,
            "description": "",
            "position": "a0",
            "assignees": [],
            "labels": [],
            "due_at": None,
            "archived": False,
            "version": 1,
            "created_by": 1,
            "created_at": "2025-01-01T00:00:00.000000Z",
            "updated_at": "2025-01-01T00:00:00.000000Z",
        },
        "actor": {"id": 1, "username": "bench"},
        "ts": "2025-01-01T00:00:00.000000Z",
    }


def _paced(count: int, rate: float, write: Callable[[int], None]) -> dict[str, Any]:
    """Call ``write(i)`` ``count`` times at ``rate`` per second (0: back to back)."""
    started = time.perf_counter()
    cpu = time.process_time()
    busy = 0.0
    for i in range(count):
        if rate > 0:
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        before = time.perf_counter()
        write(i)
        busy += time.perf_counter() - before
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "write_ms": round(busy * 1000 / max(1, count), 2),
        "cpu_ms_per_write": round((time.process_time() - cpu) * 1000 / max(1, count), 2),
    }


def _ready(first_seq: int) -> None:
    print(json.dumps({"ready": True, "first_seq": first_seq}), flush=True)
    sys.stdin.readline()


def run_product(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from collab.models import Board
    from collab.services.cards import card_create

    actor = get_user_model().objects.get(username="bench")
    _ready(Board.objects.get(pk=args.board).seq + 1)

    def write(i: int) -> None:
        card_create(actor=actor, column_id=args.column, title=stamp_title())

    return _paced(args.count, args.rate, write)


def run_bare(args: argparse.Namespace) -> dict[str, Any]:
    import redis

    client = redis.Redis.from_url(args.redis)
    client.ping()
    _ready(args.first_seq)

    def write(i: int) -> None:
        frame = json.dumps(peer_event(args.first_seq + i, stamp_title()), separators=(",", ":"))
        client.publish(args.channel, frame)

    return _paced(args.count, args.rate, write)


def run_stock(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.stock_settings")
    import django

    django.setup()
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    assert layer is not None
    loop = asyncio.new_event_loop()
    _ready(args.first_seq)

    def write(i: int) -> None:
        event = peer_event(args.first_seq + i, stamp_title())
        loop.run_until_complete(
            layer.group_send("board-1", {"type": "board.event", "event": event})
        )

    return _paced(args.count, args.rate, write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["product", "bare", "stock"])
    parser.add_argument("--board", type=int, default=0)
    parser.add_argument("--column", type=int, default=0)
    parser.add_argument("--redis", default="")
    parser.add_argument("--channel", default="")
    parser.add_argument("--first-seq", type=int, default=1)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0.0)
    args = parser.parse_args()
    runner = {"product": run_product, "bare": run_bare, "stock": run_stock}[args.mode]
    print(json.dumps(runner(args)), flush=True)


if __name__ == "__main__":
    main()
