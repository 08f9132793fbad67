"""Real processes for the webhook tests: the example receiver and ``manage.py db_worker``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, free_port, server_env, stop_process, wait_listening


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; return it, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Receiver:
    """examples/webhook_receiver.py on a port of its own, logging every request."""

    def __init__(self, secret: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret = secret
        folder = Path(tempfile.mkdtemp(prefix="corkboard-receiver-"))
        self.log = folder / "received.jsonl"
        self.control_file = folder / "control.json"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Receiver:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / "webhook_receiver.py"),
                f"--port={self.port}",
                f"--secret={self.secret}",
                f"--log={self.log}",
                f"--control={self.control_file}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_listening(self.process, self.port, "receiver", lambda: "", timeout=15)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def control(self, **values: Any) -> None:
        self.control_file.write_text(json.dumps(values))

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def events(self) -> list[dict[str, Any]]:
        """The bodies of the verified requests that were answered 2xx, in arrival order."""
        return [json.loads(entry["body"]) for entry in self.received() if entry["verified"]]


class Worker:
    """``manage.py db_worker`` against the test run's database."""

    def __init__(self, **env: str) -> None:
        self.env = {
            "WEBHOOK_ALLOW_PRIVATE": "1",
            "WEBHOOK_RETRY_SCHEDULE": "0.3,0.6",
            "WEBHOOK_RETRY_JITTER": "0",
            "WEBHOOK_TIMEOUT_SECONDS": "2",
            **env,
        }
        self.log_path = Path(tempfile.mkstemp(prefix="corkboard-worker-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval=0.05",
                    "--no-startup-delay",
                ],
                cwd=ROOT,
                env=server_env(**self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def processes() -> Iterator[list[Receiver | Worker]]:
    """Collects the receivers and workers a test starts, and stops them all after it."""
    started: list[Receiver | Worker] = []
    yield started
    for process in started:
        if isinstance(process, Worker):
            process.kill()
        else:
            process.stop()
