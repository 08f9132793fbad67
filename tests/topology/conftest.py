"""Fixtures of the topology tests: app servers behind the shipped nginx config.

As in docker-compose: nginx serves the collected static files itself and passes the rest
to the app's processes, which share the test PostgreSQL and Redis. Three layouts, each
started by the first test that asks for it: ``topology`` (two Daphne processes serving
everything, for the whole package), ``split`` (the WSGI split: /ws/ to one Daphne,
plain HTTP to gunicorn) and ``uvicorn_topology`` (two uvicorn processes in Daphne's
place), each for one test module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext

from tests.conftest import Team
from tests.e2e.conftest import (
    SERVER_ENV,
    build_team,
    context_factory,
    launch_chromium,
)
from tests.e2e.database import in_thread
from tests.servers import (
    AppServer,
    DaphneServer,
    GunicornServer,
    NginxServer,
    UvicornServer,
    free_port,
)
from tests.topology.logs import AccessLog
from tests.topology.nginx import main_config, render_site

# What the Dockerfile collects: hashed names (ManifestStaticFilesStorage) and .gz copies.
PRODUCTION_STATIC = "whitenoise.storage.CompressedManifestStaticFilesStorage"


# JSON logs at INFO: the socket log tells which process a user's socket is on.
TOPOLOGY_ENV = {**SERVER_ENV, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
# /metrics answers this bearer token (project/metrics.py).
METRICS_TOKEN = "topology-metrics-token"


def each(action: Callable[[AppServer], object], webs: Iterable[AppServer]) -> None:
    """Apply ``action`` to every process at the same time (each start takes seconds)."""
    with ThreadPoolExecutor() as pool:
        for result in [pool.submit(action, web) for web in webs]:
            result.result()


@dataclass
class Topology:
    """nginx on ``url`` in front of ``webs``; ``access`` is nginx's access log."""

    nginx: NginxServer
    webs: tuple[AppServer, ...]
    access: AccessLog

    @property
    def url(self) -> str:
        return self.nginx.url

    def web(self, address: str | None) -> AppServer:
        """Return the process at an upstream address of the access log."""
        return next(web for web in self.webs if address == f"127.0.0.1:{web.port}")


@dataclass
class Split:
    """nginx on ``url``: ``/ws/`` to ``web`` (Daphne), every other request to ``http``."""

    nginx: NginxServer
    web: DaphneServer
    http: GunicornServer
    access: AccessLog

    @property
    def url(self) -> str:
        return self.nginx.url

    def server(self, address: str | None) -> AppServer | None:
        """Return the process at an upstream address of the access log (``None``: nginx)."""
        servers: tuple[AppServer, ...] = (self.web, self.http)
        return next((s for s in servers if address == f"127.0.0.1:{s.port}"), None)


def nginx_in_front(
    prefix: Path,
    webs: tuple[AppServer, ...],
    static_root: Path,
    http: AppServer | None = None,
) -> tuple[NginxServer, AccessLog]:
    """Return nginx (not started) with the shipped config in front of ``webs`` (and ``http``)."""
    access = AccessLog(prefix / "access.log")
    port = free_port()
    site = render_site(
        tuple(web.port for web in webs),
        port,
        static_root,
        access.path,
        http=None if http is None else http.port,
    )
    return NginxServer(main_config(site, prefix), port, prefix), access


@pytest.fixture(scope="package")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Collect the static files as the Dockerfile does, into a directory of this run."""
    index = settings.FRONTEND_DIST / "index.html"
    assert index.is_file(), "build the front end first: npm --prefix frontend run build"
    root = tmp_path_factory.mktemp("static")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@contextmanager
def _serving(nginx: NginxServer, servers: Sequence[AppServer]) -> Iterator[None]:
    """Start the app servers, then nginx; stop nginx, then the servers, whatever happens."""
    try:
        each(AppServer.start, servers)
        nginx.start()
        yield
    finally:
        nginx.stop()
        each(AppServer.close, servers)


@pytest.fixture(scope="package")
def topology(
    django_db_setup: None, static_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    """Start two Daphne processes and nginx in front of them (running the whole package)."""
    webs = (DaphneServer(None, **TOPOLOGY_ENV), DaphneServer(None, **TOPOLOGY_ENV))
    nginx, access = nginx_in_front(tmp_path_factory.mktemp("nginx"), webs, static_root)
    with _serving(nginx, webs):
        yield Topology(nginx, webs, access)


@pytest.fixture(scope="module")
def split(
    django_db_setup: None, static_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Split]:
    """Start the WSGI split: nginx, one Daphne for /ws/, gunicorn (2 workers) for the rest."""
    env = {**TOPOLOGY_ENV, "METRICS_TOKEN": METRICS_TOKEN}
    web, http = DaphneServer(None, **env), GunicornServer(None, workers=2, **env)
    servers: tuple[AppServer, ...] = (web, http)
    nginx, access = nginx_in_front(tmp_path_factory.mktemp("nginx"), (web,), static_root, http)
    with _serving(nginx, servers):
        yield Split(nginx, web, http, access)


@pytest.fixture(scope="module")
def uvicorn_topology(
    django_db_setup: None, static_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    """Start two uvicorn processes and nginx in front of them, as ``topology`` does Daphne."""
    env = {**TOPOLOGY_ENV, "METRICS_TOKEN": METRICS_TOKEN}
    webs = (UvicornServer(None, **env), UvicornServer(None, **env))
    nginx, access = nginx_in_front(tmp_path_factory.mktemp("nginx"), webs, static_root)
    with _serving(nginx, webs):
        yield Topology(nginx, webs, access)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Launch Debian's Chromium once for the package (see tests/e2e/conftest.py)."""
    yield from launch_chromium()


@pytest.fixture
def new_context(browser: Browser, topology: Topology) -> Iterator[Callable[[], BrowserContext]]:
    """Return a factory of browser contexts on nginx's address, closed after the test."""
    yield from context_factory(browser, topology.url)


@pytest.fixture
def team(transactional_db: None, topology: Topology) -> Team:
    """Return users in every role and a board, with passwords the servers can check."""
    return in_thread(build_team)


@pytest.fixture
def split_team(transactional_db: None, split: Split) -> Team:
    """Return ``team`` for the split's servers (started first, flushed after the test)."""
    return in_thread(build_team)


@pytest.fixture
def split_context(browser: Browser, split: Split) -> Iterator[Callable[[], BrowserContext]]:
    """Return a factory of browser contexts on the split's nginx, closed after the test."""
    yield from context_factory(browser, split.url)


@pytest.fixture
def uvicorn_team(transactional_db: None, uvicorn_topology: Topology) -> Team:
    """Return ``team`` for the uvicorn processes (started first, flushed after the test)."""
    return in_thread(build_team)
