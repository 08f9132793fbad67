"""Child processes of the benchmark: started in one registry, all stopped at the end.

Every server, peer, Redis and client the harness starts is registered here, so that a
normal end, an error or Ctrl-C (SIGINT/SIGTERM) stops all of them, in reverse order.
Also the readings taken from ``/proc``: CPU time and RSS of a server process.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
LOG_DIR = Path(tempfile.gettempdir()) / f"corkboard-bench-{os.getpid()}"

_running: list[subprocess.Popen[bytes]] = []


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raise_fd_limit() -> int:
    """Raise this process's (and so its children's) open-file limit to the hard limit.

    10,000 sockets need 10,000 descriptors in the server and as many in the clients.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start(
    name: str, command: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a registered child whose output goes to a log file named after it."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _running.append(process)
    return process


def log_tail(name: str, chars: int = 2000) -> str:
    """Return the end of a child's log, for error messages."""
    path = LOG_DIR / f"{name}.log"
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM a child and its process group; SIGKILL whatever lingers past ``timeout``."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    if process in _running:
        _running.remove(process)


def stop_all() -> None:
    """Stop every registered child, newest first."""
    for process in reversed(list(_running)):
        stop(process)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop every child at exit and on SIGINT/SIGTERM."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def wait_port(process: subprocess.Popen[bytes], port: int, name: str, timeout: float = 40) -> None:
    """Return once ``process`` accepts connections on ``port``; raise if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log_tail(name)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen within {timeout:.0f} s") from None
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process has used (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command: state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Return the resident set size of a process (``/proc/<pid>/statm``)."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``check`` until it is true or ``timeout`` passes; return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


@contextlib.contextmanager
def profiled(
    pid: int, output: Path | None, rate: int = 250, children: bool = False
) -> Iterator[None]:
    """Record, with py-spy, the thread holding the GIL while the block runs (where the CPU
    goes; nothing if ``output`` is None).

    ``children`` records the process's children too (gunicorn's workers). The profile
    is py-spy's "raw" format (collapsed stacks, one line per stack with its
    sample count), readable with ``python -m bench.hotspots FILE``, or by speedscope.
    """
    if output is None:
        yield
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--rate", str(rate)]
        + ["--format", "raw", "--output", str(output), "--nonblocking", "--gil"]
        + (["--subprocesses"] if children else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
