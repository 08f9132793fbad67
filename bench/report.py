"""The benchmark's results: summary figures, the targets of issue 9, the printed tables.

Pure functions over the results dict that :mod:`bench.fanout` builds (and writes as
JSON), so a saved run can be rendered again: ``python -m bench.report FILE``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

NONE = "\u2013"  # an en dash: not measured
TIMES = "\u00d7"

ROWS = ("bare", "stock", "daphne", "uvicorn")
PRODUCT = ("daphne", "uvicorn")
MAIN_N = 1000
STALL_N = 2000


def percentile(values: list[float], share: float) -> float | None:
    """Return the ``share`` percentile (0..1) by nearest rank, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def _get(results: dict[str, Any], server: str, *path: str) -> Any:
    value: Any = results.get("servers", {}).get(server, {})
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return NONE
    if isinstance(value, float | int):
        text = f"{value:,.{digits}f}"
    else:
        text = str(value)
    return f"{text}{unit}"


def summary(results: dict[str, Any], server: str) -> dict[str, Any]:
    """Return one table row's figures for a server (None where not measured)."""
    n = str(MAIN_N)
    lost_2000 = None
    for phase in ("paced", "burst"):
        lost = _get(results, server, "fanout", str(STALL_N), phase, "lost")
        if lost is not None:
            lost_2000 = (lost_2000 or 0) + lost
    return {
        "burst_per_s": _get(results, server, "fanout", n, "burst", "deliveries_per_s"),
        "cpu_us": _get(results, server, "fanout", n, "burst", "server_cpu_us_per_delivery"),
        "p50_ms": _get(results, server, "fanout", n, "paced", "p50_ms"),
        "p99_ms": _get(results, server, "fanout", n, "paced", "p99_ms"),
        "connect_s": _get(results, server, "fanout", n, "connect", "seconds"),
        "kib_5000": _get(results, server, "idle", "kib_per_socket_5000"),
        "kib_10000": _get(results, server, "idle", "kib_per_socket_10000"),
        "idle_cpu": _get(results, server, "idle", "idle_cpu_percent"),
        "lost_1000": sum(
            _get(results, server, "fanout", n, phase, "lost") or 0 for phase in ("paced", "burst")
        )
        if _get(results, server, "fanout", n) is not None
        else None,
        "lost_2000": lost_2000,
    }


def ratios(results: dict[str, Any], server: str) -> dict[str, float | None]:
    """Return a server's burst rate against bare and stock, and its p99 against stock."""
    mine, bare, stock = (summary(results, s) for s in (server, "bare", "stock"))
    return {
        "burst_vs_bare": _ratio(mine["burst_per_s"], bare["burst_per_s"]),
        "burst_vs_stock": _ratio(mine["burst_per_s"], stock["burst_per_s"]),
        "p99_vs_stock": _ratio(mine["p99_ms"], stock["p99_ms"]),
    }


def main_table(results: dict[str, Any]) -> str:
    """Return the issue's table (N = 1,000) with lost deliveries and the target ratios."""
    header = (
        "| N = 1,000 | burst deliveries/s | server CPU µs per delivery | paced p50 / p99 | "
        "connect 1,000 | KiB per idle socket (5k / 10k) | idle CPU (1,000) | "
        "lost (N=1,000 / 2,000) | burst vs bare / stock, p99 vs stock |"
    )
    lines = [header, "|" + "---|" * 9]
    for server in ROWS:
        if server not in results.get("servers", {}):
            continue
        s = summary(results, server)
        r = ratios(results, server)
        ratio_text = (
            f"{_fmt(r['burst_vs_bare'], TIMES, 2)} / {_fmt(r['burst_vs_stock'], TIMES, 1)}, "
            f"{_fmt(r['p99_vs_stock'], TIMES, 2)}"
            if server in PRODUCT
            else ""
        )
        lines.append(
            f"| {results['servers'][server]['label']} | {_fmt(s['burst_per_s'])} "
            f"| {_fmt(s['cpu_us'])} | {_fmt(s['p50_ms'], ' ms')} / {_fmt(s['p99_ms'], ' ms')} "
            f"| {_fmt(s['connect_s'], ' s', 1)} "
            f"| {_fmt(s['kib_5000'])} / {_fmt(s['kib_10000'])} "
            f"| {_fmt(s['idle_cpu'], ' %', 1)} "
            f"| {_fmt(s['lost_1000'])} / {_fmt(s['lost_2000'])} | {ratio_text} |"
        )
    return "\n".join(lines)


def per_n_table(results: dict[str, Any]) -> str:
    """Return every N's burst rate, paced p99, connect time and lost deliveries."""
    sizes = sorted(
        {int(n) for s in results.get("servers", {}).values() for n in s.get("fanout", {})}
    )
    head = "| server | " + " | ".join(f"N={n:,}: burst/s, p99, connect, lost" for n in sizes) + " |"
    lines = [head, "|" + "---|" * (len(sizes) + 1)]
    for server in ROWS:
        entry = results.get("servers", {}).get(server)
        if entry is None:
            continue
        cells = []
        for n in sizes:
            run = entry.get("fanout", {}).get(str(n))
            if run is None:
                cells.append(NONE)
                continue
            lost = sum((run.get(p) or {}).get("lost") or 0 for p in ("paced", "burst"))
            error = f" ({run['error']})" if run.get("error") else ""
            cells.append(
                f"{_fmt((run.get('burst') or {}).get('deliveries_per_s'))}, "
                f"{_fmt((run.get('paced') or {}).get('p99_ms'), ' ms')}, "
                f"{_fmt((run.get('connect') or {}).get('seconds'), ' s', 1)}, {lost:,}{error}"
            )
        lines.append(f"| {entry['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rest_table(results: dict[str, Any]) -> str:
    """Return the REST list page's req/s per server, and the snapshot line."""
    lines = [
        "| REST: 50-card list page, 32 connections | req/s | p99 | errors |",
        "|---|---|---|---|",
    ]
    for row in results.get("rest", {}).get("rows", []):
        error = f" ({row['error']})" if row.get("error") else ""
        lines.append(
            f"| {row['label']} | {_fmt(row.get('requests_per_s'))} "
            f"| {_fmt(row.get('p99_ms'), ' ms')} | {_fmt(row.get('errors'))}{error} |"
        )
    snap = results.get("snapshot")
    if snap:
        lines.append("")
        if snap.get("error"):
            lines.append(f"1,000-card snapshot: {snap['error']}")
        else:
            lines.append(
                f"1,000-card snapshot: {snap['cards']:,} cards, {snap['queries']} queries, "
                f"{snap['ms_median']} ms (median of warm runs; first {snap['ms_first']} ms)"
            )
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return issue 9's targets for Corkboard on Daphne: measured figure and whether met."""
    s = summary(results, "daphne")
    r = ratios(results, "daphne")
    n2000 = _get(results, "daphne", "fanout", str(STALL_N)) or {}
    p99_2000 = (n2000.get("paced") or {}).get("p99_ms")
    rest = {
        row["name"]: row.get("requests_per_s") for row in results.get("rest", {}).get("rows", [])
    }
    snap = results.get("snapshot") or {}

    def check(name: str, value: Any, ok: bool | None) -> dict[str, Any]:
        return {"target": name, "measured": value, "met": ok}

    def at_least(value: float | None, bound: float) -> bool | None:
        return None if value is None else value >= bound

    def at_most(value: float | None, bound: float) -> bool | None:
        return None if value is None else value <= bound

    rest_ratio = _ratio(rest.get("gunicorn"), rest.get("drf"))
    return [
        check("burst N=1,000 ≥ 0.35x bare", r["burst_vs_bare"], at_least(r["burst_vs_bare"], 0.35)),
        check("burst N=1,000 ≥ 6x stock", r["burst_vs_stock"], at_least(r["burst_vs_stock"], 6)),
        check("server CPU ≤ 40 µs per delivery", s["cpu_us"], at_most(s["cpu_us"], 40)),
        check(
            "N=2,000: 0 lost, paced p99 ≤ 500 ms",
            f"lost {_fmt(s['lost_2000'])}, p99 {_fmt(p99_2000, ' ms')}",
            None
            if s["lost_2000"] is None or p99_2000 is None
            else s["lost_2000"] == 0 and p99_2000 <= 500,
        ),
        check(
            "paced p99 N=1,000 ≤ 1/3 stock", r["p99_vs_stock"], at_most(r["p99_vs_stock"], 1 / 3)
        ),
        check("≤ 30 KiB per idle socket (10,000)", s["kib_10000"], at_most(s["kib_10000"], 30)),
        check("idle CPU ≤ 1 % (1,000 sockets)", s["idle_cpu"], at_most(s["idle_cpu"], 1.0)),
        check("connect + subscribe 1,000 ≤ 2 s", s["connect_s"], at_most(s["connect_s"], 2.0)),
        check("REST WSGI split ≥ 1x plain DRF", rest_ratio, at_least(rest_ratio, 1.0)),
        check("snapshot ≤ 10 queries", snap.get("queries"), at_most(snap.get("queries"), 10)),
    ]


def targets_table(results: dict[str, Any]) -> str:
    lines = ["| target (Corkboard on Daphne) | measured | met |", "|---|---|---|"]
    for t in targets(results):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {_fmt(t['measured'], digits=2)} | {met} |")
    return "\n".join(lines)


def client_line(results: dict[str, Any]) -> str:
    client = results.get("client") or {}
    if not client.get("deliveries"):
        return "load client: not measured"
    return (
        f"load client: {client['workers']} processes, {client['cpu_us_per_delivery']} µs CPU per "
        f"delivery ({client['deliveries']:,} deliveries over the fan-out phases)"
    )


def render(results: dict[str, Any]) -> str:
    """Return everything printed at the end of a run."""
    box = results.get("machine", {})
    head = (
        f"Corkboard fan-out benchmark, {results.get('date', '?')}, "
        f"{box.get('cpu', '?')} ({box.get('cores', '?')} cores), "
        f"commit {results.get('commit', '?')}"
    )
    parts = [head, "", main_table(results), "", per_n_table(results), ""]
    if results.get("rest") or results.get("snapshot"):
        parts += [rest_table(results), ""]
    parts += [targets_table(results), "", client_line(results)]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
