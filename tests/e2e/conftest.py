"""Fixtures of the browser tests: the built app, real Daphne servers, Chromium, signed-in pages."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from collab.models import Role
from tests.conftest import Team
from tests.e2e.database import in_thread
from tests.e2e.pages import ARTIFACTS, BoardPage
from tests.factories import PASSWORD, add_member, make_board, make_column, make_user, make_workspace
from tests.servers import ROOT, DaphneServer

FRONTEND = ROOT / "frontend"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_ENV = {
    # Several log-ins per test from one address would trip the production login throttle.
    "THROTTLE_LOGIN": "100000/min",
    "THROTTLE_SIGNUP": "100000/min",
    # The webhook receivers of the tests listen on 127.0.0.1.
    "WEBHOOK_ALLOW_PRIVATE": "1",
    # Only the test process needs the escape hatch below (empty = unset for Django).
    "DJANGO_ALLOW_ASYNC_UNSAFE": "",
}
VIEWPORT = {"width": 1280, "height": 800}

OpenBoard = Callable[..., BoardPage]


def _run_npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("frontend/dist/index.html is missing and npm is not on PATH to build it")
    result = subprocess.run(
        [npm, "--prefix", str(FRONTEND), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        pytest.fail(f"npm {' '.join(args)} failed (frontend/dist is needed):\n{output}")


@pytest.fixture(scope="package")
def frontend_dist() -> Path:
    """Return the built app's directory, building it once if it is missing."""
    dist = FRONTEND / "dist"
    if not (dist / "index.html").is_file():
        if not (FRONTEND / "node_modules").is_dir():
            _run_npm("ci")
        _run_npm("run", "build")
    return dist


@pytest.fixture(scope="package")
def web(frontend_dist: Path, django_db_setup: None) -> Iterator[DaphneServer]:
    """Serve the app and the API from a real Daphne on the test database (restartable)."""
    # Settings decide at start-up whether whitenoise serves the build, so build first.
    server = DaphneServer(port=None, **SERVER_ENV)
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="package")
def other_web(django_db_setup: None) -> Iterator[DaphneServer]:
    """Run a second Daphne process on the same stores, as in a scaled-out deployment."""
    server = DaphneServer(port=None, **SERVER_ENV)
    server.start()
    yield server
    server.close()


def launch_chromium() -> Iterator[Browser]:
    """Yield Debian's Chromium driven by Playwright; close it when resumed."""
    # The sync API keeps an event loop marked as running in this thread for as long as
    # Playwright is open, so Django would refuse every ORM call of the tests (factories,
    # flush). Nothing runs on that loop while a test touches the database.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Launch Debian's Chromium once for the package."""
    yield from launch_chromium()


@functools.cache
def _server_password_hash() -> str:
    # Test settings hash with MD5, which the server's PASSWORD_HASHERS cannot verify.
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(PASSWORD, hasher.salt(), iterations=1000)


def build_team() -> Team:
    owner = make_user("owner")
    workspace = make_workspace(owner, "Acme")
    users = {}
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        users[role.value] = make_user(role.value)
        add_member(workspace, owner, users[role.value], role)
    outsider = make_user("outsider")
    get_user_model().objects.update(password=_server_password_hash())
    board = make_board(owner, workspace, "Roadmap")
    return Team(
        owner=owner,
        admin=users["admin"],
        member=users["member"],
        viewer=users["viewer"],
        outsider=outsider,
        workspace=workspace,
        board=board,
        todo=make_column(owner, board, "To do"),
        done=make_column(owner, board, "Done"),
    )


@pytest.fixture
def team(transactional_db: None, browser: Browser) -> Team:
    """Return the shared fixture's team, built off Playwright's thread.

    Passwords are hashed so that the Daphne server (production hashers) can check them.
    """
    return in_thread(build_team)


def session_cookies(base_url: str, username: str) -> list[dict[str, Any]]:
    """Log in through the API and return the session and CSRF cookies for a browser."""
    session = requests.Session()
    session.get(f"{base_url}/api/v1/auth/csrf/", timeout=10).raise_for_status()
    response = session.post(
        f"{base_url}/api/v1/auth/login/",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": session.cookies.get("csrftoken") or ""},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    cookies: list[dict[str, Any]] = [
        {"name": cookie.name, "value": cookie.value or "", "url": base_url}
        for cookie in session.cookies
    ]
    return cookies


def context_factory(browser: Browser, url: str) -> Iterator[Callable[[], BrowserContext]]:
    """Yield a factory of browser contexts on ``url``; close them all when resumed."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=url, viewport=VIEWPORT)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_context(
    browser: Browser, web: DaphneServer, team: Team
) -> Iterator[Callable[[], BrowserContext]]:
    """Return a factory of fresh browser contexts, all closed before the database is flushed."""
    yield from context_factory(browser, web.url)


@pytest.fixture
def open_board(
    new_context: Callable[[], BrowserContext], web: DaphneServer, request: pytest.FixtureRequest
) -> OpenBoard:
    """Return ``open_board(user, board)``: a signed-in page showing the board, live."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def open_(user: Any, board_id: int, *, live: bool = True) -> BoardPage:
        context = new_context()
        context.add_cookies(session_cookies(web.url, user.username))  # type: ignore[arg-type]
        board = BoardPage(context.new_page(), board_id, shot_prefix=request.node.name)
        board.goto()
        if live:
            board.expect_live()
        return board

    return open_
