"""Fixtures of the topology tests: two Daphne processes behind the shipped nginx config.

As in docker-compose: nginx serves the collected static files itself and passes HTTP and
websockets to either process; the processes share the test PostgreSQL and Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from tests.servers import DaphneServer, NginxServer, free_port
from tests.topology.logs import AccessLog
from tests.topology.nginx import main_config, render_site

# What the Dockerfile collects: hashed names (ManifestStaticFilesStorage) and .gz copies.
PRODUCTION_STATIC = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def each(action: Callable[[DaphneServer], object], webs: Iterable[DaphneServer]) -> None:
    """Apply ``action`` to every process at the same time (each start takes seconds)."""
    with ThreadPoolExecutor() as pool:
        for result in [pool.submit(action, web) for web in webs]:
            result.result()


@dataclass
class Topology:
    """nginx on ``url`` in front of ``webs``; ``access`` is nginx's access log."""

    nginx: NginxServer
    webs: tuple[DaphneServer, DaphneServer]
    access: AccessLog

    @property
    def url(self) -> str:
        return self.nginx.url

    def web(self, address: str | None) -> DaphneServer:
        """Return the process at an upstream address of the access log."""
        return next(web for web in self.webs if address == f"127.0.0.1:{web.port}")


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


@pytest.fixture(scope="package")
def topology(
    django_db_setup: None, static_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    """Start two Daphne processes and nginx in front of them (running the whole package)."""
    # JSON logs at INFO: the socket log tells which process a user's socket is on.
    env = {**SERVER_ENV, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    webs = (DaphneServer(None, **env), DaphneServer(None, **env))
    prefix = tmp_path_factory.mktemp("nginx")
    access = AccessLog(prefix / "access.log")
    port = free_port()
    site = render_site((webs[0].port, webs[1].port), port, static_root, access.path)
    nginx = NginxServer(main_config(site, prefix), port, prefix)
    try:
        each(DaphneServer.start, webs)
        nginx.start()
        yield Topology(nginx, webs, access)
    finally:
        nginx.stop()
        each(DaphneServer.close, webs)


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
