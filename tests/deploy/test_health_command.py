"""``manage.py health``: the readiness checks as a probe, exit 0 when ready and 1 when not."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from io import StringIO
from typing import Any

from django.core.management import CommandError, call_command

from tests.servers import ROOT, RedisServer, free_port, server_env

CHECKS = {"database", "cache", "channel_layer"}


def _health(*args: str) -> tuple[dict[str, Any], CommandError | None]:
    """Run the command in this process; return its JSON output and its error, if any."""
    out = StringIO()
    try:
        call_command("health", *args, stdout=out)
    except CommandError as error:
        return json.loads(out.getvalue()), error
    return json.loads(out.getvalue()), None


def test_health_reports_every_check_and_passes(db):
    body, error = _health()
    assert error is None
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["status"] == "ok" and check["ms"] >= 0 for check in body["checks"].values())


def test_health_live_asks_no_dependency():
    """No ``db`` fixture: a database query here would fail the test."""
    assert _health("--live") == ({"status": "ok"}, None)


def test_health_fails_within_the_check_timeouts_when_redis_hangs(db, settings):
    """A paused Redis answers nothing: the checks give up after their timeouts, not later."""
    redis = RedisServer()
    redis.start()
    try:
        address = f"{redis.url}/0"
        layers = copy.deepcopy(settings.CHANNEL_LAYERS)
        layers["default"]["CONFIG"]["hosts"][0]["address"] = address
        caches = copy.deepcopy(settings.CACHES)
        caches["default"]["LOCATION"] = address
        settings.CHANNEL_LAYERS, settings.CACHES = layers, caches
        redis.pause()
        started = time.monotonic()
        body, error = _health()
        elapsed = time.monotonic() - started
    finally:
        redis.kill()
    assert error is not None and error.returncode == 1
    assert str(error) == "not ready: cache, channel_layer"
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == body["checks"]["channel_layer"]["status"] == "error"
    assert elapsed < 3, f"took {elapsed:.1f} s"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "health", *args],
        cwd=ROOT,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_health_exits_1_naming_what_is_down(db):
    """As a real process, with nothing listening at the database's or Redis' address."""
    closed = f"127.0.0.1:{free_port()}"
    down = {"DATABASE_URL": f"postgres://postgres@{closed}/corkboard"}
    down |= {"REDIS_URL": f"redis://{closed}/0", "CACHE_URL": f"redis://{closed}/1"}

    ready = _manage(**down)
    assert ready.returncode == 1, ready.stderr
    body = json.loads(ready.stdout)
    assert body["status"] == "unavailable"
    assert {name for name, check in body["checks"].items() if check["status"] == "error"} == CHECKS
    assert "not ready: database, cache, channel_layer" in ready.stderr
