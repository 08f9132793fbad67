"""Real servers on loopback for the tests: Daphne, gunicorn, uvicorn, Redis and nginx.

The app servers share the test run's PostgreSQL database and Redis (``server_env``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(**extra: str) -> dict[str, str]:
    """Return the environment of a server process that shares this test run's stores."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    credentials = quote(db["USER"] or "postgres") + (
        f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL or "",
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "CACHE_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "CORKBOARD_ALLOW_INSECURE_KEY": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_MANIFEST": "0",
        "THROTTLE_USER": "100000/min",
        "THROTTLE_ANON": "100000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def wait_listening(
    process: subprocess.Popen[bytes],
    port: int,
    name: str,
    log: Callable[[], str],
    timeout: float,
) -> None:
    """Wait until ``process`` accepts connections on ``port``; raise if it exits or hangs."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start within {timeout:.0f} s") from None
            time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM ``process`` and wait for it, SIGKILL it if it lingers past 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class AppServer(ABC):
    """One server process of the app on loopback that can be stopped and started again.

    The port stays the same across restarts, so that open pages reconnect to it.
    Subclasses name the command; a server whose workers are child processes runs in a
    session of its own, so that :meth:`kill` takes the workers down with it.
    """

    name = "server"
    own_session = False

    def __init__(self, port: int | None = None, **extra_env: str) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env
        self.log_path = Path(tempfile.gettempdir()) / f"corkboard-{self.name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def command(self) -> list[str]:
        """Return the command line that serves the app on 127.0.0.1:``self.port``."""

    def env(self) -> dict[str, str]:
        """Return the process's environment: the test run's stores and ``extra_env``."""
        return server_env(**self.extra_env)

    def start(self, timeout: float = 30) -> None:
        """Start the process and return once it accepts connections."""
        # The child keeps its own copy of the log's descriptor.
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_session,
            )
        wait_listening(self.process, self.port, self.name, self.log_path.read_text, timeout)

    def stop(self) -> None:
        """Terminate the process (kill it if it lingers); keep the log until ``close``."""
        if self.process is not None:
            stop_process(self.process)
            self._kill_session()
        self.process = None

    def terminate(self, timeout: float = 15) -> float | None:
        """Send SIGTERM; return the seconds until the process exited, ``None`` if it did not.

        A process that outlives ``timeout`` is killed (and ``None`` returned).
        """
        if self.process is None:
            return 0.0
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
            elapsed: float | None = time.monotonic() - started
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            elapsed = None
        self._kill_session()
        self.process = None
        return elapsed

    def kill(self) -> None:
        """SIGKILL the process (a crash: no goodbye to its clients)."""
        if self.process is not None:
            self._kill_session()
            self.process.kill()
            self.process.wait()
            self.process = None

    def _kill_session(self) -> None:
        """SIGKILL whatever is left of the process's own session (its workers)."""
        if self.own_session and self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def log(self) -> str:
        """Return what the process has written so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def restart(self) -> None:
        """Stop the process and start a new one on the same port."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the process and remove its log."""
        self.stop()
        self.log_path.unlink(missing_ok=True)


class DaphneServer(AppServer):
    """One ``daphne project.asgi:application`` process (the default server)."""

    name = "daphne"

    def __init__(self, port: int | None = None, **extra_env: str) -> None:
        super().__init__(port, **extra_env)
        self.log_path = ROOT / f".daphne-{self.port}.log"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",
            "-e",
            f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024",
            "project.asgi:application",
        ]


class GunicornServer(AppServer):
    """``bin/serve-http``: gunicorn running project.wsgi, the plain-HTTP half of the split.

    Its master and ``workers`` worker processes run in a session of their own.
    """

    name = "gunicorn"
    own_session = True

    def __init__(self, port: int | None = None, workers: int = 2, **extra_env: str) -> None:
        super().__init__(port, **extra_env)
        self.workers = workers

    def command(self) -> list[str]:
        return [str(ROOT / "bin" / "serve-http")]

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "HTTP_WORKERS": str(self.workers),
            "PYTHON": sys.executable,
        }


# The uvicorn command of docs/operations.md ("Serving HTTP and websockets") after
# ``--host``/``--port``; tests/deploy/test_serving_docs.py holds the two equal.
UVICORN_FLAGS = (
    "--loop uvloop --http httptools --ws websockets-sansio --ws-max-size 1048576 "
    "--ws-per-message-deflate false --lifespan off --proxy-headers "
    "--timeout-graceful-shutdown 7 --no-access-log --log-level warning"
)


class UvicornServer(AppServer):
    """``uvicorn project.asgi:application``: the same ASGI app as Daphne, another server."""

    name = "uvicorn"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *UVICORN_FLAGS.split(),
        ]


@contextmanager
def daphne(port: int | None = None, **extra_env: str) -> Iterator[str]:
    """Run ``daphne project.asgi:application`` until the block ends; yield its base URL."""
    server = DaphneServer(port, **extra_env)
    try:
        server.start()
        yield server.url
    finally:
        server.close()


class RedisServer:
    """A throwaway ``redis-server`` on its own port, for fault tests to kill, pause and restart.

    Never the machine's shared Redis: other test runs use that one. :meth:`close` always
    leaves no process behind.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False

    def start(self, timeout: float = 10) -> None:
        """Start it (on the same port as before) and return once it answers PING."""
        import redis

        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                client.close()
                return
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL it: every connection to it breaks at once, nothing is saved."""
        if self.process is not None:
            self.resume()
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        """SIGSTOP it: connections stay open and nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT a paused server."""
        if self.process is not None and self.paused:
            os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def close(self) -> None:
        self.kill()

    def env(self) -> dict[str, str]:
        """Return the Daphne environment that points the layer, cache and presence here."""
        return {"REDIS_URL": f"{self.url}/0", "CACHE_URL": f"{self.url}/1"}


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run a private ``redis-server`` until the block ends."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.kill()


class NginxServer:
    """Debian's nginx in the foreground, in its own prefix directory, with a given config.

    ``config`` is a whole ``nginx.conf`` (main context). Under root the workers run as
    root too, so that they read the test's files wherever they are.
    """

    binary = "/usr/sbin/nginx"

    def __init__(self, config: str, port: int, prefix: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.prefix = prefix
        self.config_path = prefix / "nginx.conf"
        self.error_log_path = prefix / "error.log"
        self.process: subprocess.Popen[bytes] | None = None
        prefix.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config)

    def start(self, timeout: float = 10) -> None:
        """Start nginx and return once it accepts connections."""
        directives = (
            f"daemon off; pid {self.prefix / 'nginx.pid'}; error_log {self.error_log_path};"
        )
        if os.geteuid() == 0:
            directives += " user root;"
        command = [self.binary, "-p", str(self.prefix), "-c", str(self.config_path)]
        # Errors before the error log is open (a bad config) go to stderr.
        with open(self.error_log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "-g", directives], stdout=subprocess.DEVNULL, stderr=log
            )
        wait_listening(self.process, self.port, "nginx", self.log, timeout)

    def log(self) -> str:
        """Return nginx's error log so far."""
        if not self.error_log_path.exists():
            return ""
        return self.error_log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop nginx at once (SIGTERM: fast shutdown), killing it if it lingers."""
        if self.process is not None:
            stop_process(self.process)
        self.process = None
