"""A small HTTP load client, the REST phase's fallback when ``wrk`` is not installed.

Keep-alive connections (``http.client``), one per thread, spread over processes so
that the GIL of one client process is not the limit.
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from typing import Any
from urllib.parse import urlsplit


def _thread(
    url: str, until: float, headers: dict[str, str], out: list[float], errors: list[int]
) -> None:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except OSError:
            errors.append(0)
            connection.close()
            connection = http.client.HTTPConnection(
                parts.hostname or "127.0.0.1", parts.port, timeout=10
            )
            continue
        out.append(time.monotonic() - started)
    connection.close()


def _process(
    url: str, seconds: float, headers: dict[str, str], threads: int
) -> tuple[list[float], int]:
    until = time.monotonic() + seconds
    out: list[float] = []
    errors: list[int] = []
    workers = [
        threading.Thread(target=_thread, args=(url, until, headers, out, errors))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return out, len(errors)


def run(
    url: str, seconds: float, headers: dict[str, str], connections: int, processes: int
) -> dict[str, Any]:
    """Return req/s, p99 and errors of ``connections`` keep-alive clients for ``seconds``."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(
            _process, [(url, seconds, headers, connections // processes)] * processes
        )
    timings = sorted(t for p in parts for t in p[0])
    p99 = timings[int(len(timings) * 0.99) - 1] * 1000 if timings else None
    return {
        "requests_per_s": round(len(timings) / seconds),
        "p99_ms": round(p99, 1) if p99 is not None else None,
        "errors": sum(p[1] for p in parts),
    }
