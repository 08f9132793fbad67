"""The browser app through nginx: static files from disk, the rest from either process.

Also what the shipped config promises besides balancing: cache headers by file name,
one request id shared by nginx's log, the app's log and the response, and nginx's own
errors as JSON.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Response, expect

from tests.conftest import Team
from tests.e2e.pages import BoardPage, log_in
from tests.factories import PASSWORD
from tests.servers import NginxServer, free_port
from tests.topology.clients import wait_for
from tests.topology.conftest import Topology
from tests.topology.logs import AccessLog, app_log
from tests.topology.nginx import main_config, render_site

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.mark.e2e
def test_the_app_loads_through_nginx_with_its_assets_served_from_disk(
    team: Team, topology: Topology, new_context: Callable[[], BrowserContext]
) -> None:
    assets: list[Response] = []
    page = new_context().new_page()
    page.on("response", lambda r: assets.append(r) if "/assets/" in r.url else None)
    page.goto(f"/b/{team.board.pk}")
    log_in(page, "member", PASSWORD)
    expect(page).to_have_url(re.compile(rf"/b/{team.board.pk}$"))
    BoardPage(page, team.board.pk, shot_prefix="topology").expect_live()
    expect(page.get_by_test_id("board-title")).to_have_text("Roadmap")

    paths = {re.sub(r"^https?://[^/]+", "", r.url) for r in assets}
    assert any(p.endswith(".js") for p in paths) and any(p.endswith(".css") for p in paths)
    for response in assets:
        assert response.status == 200
        assert response.headers["cache-control"] == IMMUTABLE
    log = topology.access.entries()
    served = {e.path: e.served_by for e in log if e.path in paths}
    assert served == dict.fromkeys(paths), "nginx, not a process, served the assets"
    # The page and the API came from the processes, from both of them.
    app = {e.served_by for e in log if e.path.startswith(("/api/", "/b/"))}
    assert app == {f"127.0.0.1:{web.port}" for web in topology.webs}


def test_static_files_are_cached_by_name_and_compressed(
    topology: Topology, static_root: Path
) -> None:
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]
    cases = {f"/static/{hashed}": IMMUTABLE, "/static/admin/css/base.css": "public, max-age=60"}
    for path, cache_control in cases.items():
        response = requests.get(topology.url + path, timeout=5)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == cache_control
        assert response.headers["Content-Encoding"] == "gzip"
    # The app's own responses keep the app's caching.
    assert requests.get(f"{topology.url}/b/1", timeout=5).headers["Cache-Control"] == "no-cache"
    assert requests.get(f"{topology.url}/static/nothing.css", timeout=5).status_code == 404


def test_one_request_id_in_nginx_log_app_log_and_response(topology: Topology) -> None:
    sent = requests.get(
        f"{topology.url}/healthz", headers={"X-Request-ID": "ci-run-7.a"}, timeout=5
    )
    assert sent.headers["X-Request-ID"] == "ci-run-7.a"
    # One the app would refuse is replaced by nginx's own id, the same in both logs.
    response = requests.get(
        f"{topology.url}/api/v1/me/", headers={"X-Request-ID": "a b"}, timeout=5
    )
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    wait_for(lambda: request_id in topology.access.by_request_id(), 5, "nginx's log line")
    entry = topology.access.by_request_id()[request_id]
    assert (entry.path, entry.status) == ("/api/v1/me/", response.status_code)
    web = topology.web(entry.served_by)

    def records() -> list[dict[str, Any]]:
        return [r for r in app_log(web) if r.get("request_id") == request_id]

    wait_for(lambda: bool(records()), 5, "the app's log line of the process nginx named")
    (record,) = records()
    assert (record["route"], record["status"]) == ("api/v1/me/", response.status_code)
    # nginx answers static files itself, with an id of its own.
    static = requests.get(f"{topology.url}/static/admin/css/base.css", timeout=5)
    assert re.fullmatch(r"[0-9a-f]{32}", static.headers["X-Request-ID"])


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test's output quiet."""


def test_nginx_errors_are_json_and_a_process_back_within_fail_timeout_is_used(
    topology: Topology, tmp_path: Path
) -> None:
    too_big = requests.post(f"{topology.url}/api/v1/cards/", data=b"x" * (3 << 20), timeout=10)
    assert too_big.status_code == 413
    assert too_big.json()["error"] == "payload_too_large"

    # The same config in front of two ports where nothing listens.
    port, upstreams = free_port(), (free_port(), free_port())
    access = AccessLog(tmp_path / "access.log")
    site = render_site(upstreams, port, tmp_path, access.path)
    nginx = NginxServer(main_config(site, tmp_path), port, tmp_path)
    nginx.start()
    try:
        down = requests.get(f"{nginx.url}/api/v1/me/", timeout=5)
        # Both are now marked failed for fail_timeout; one that is back is still used.
        with ThreadingHTTPServer(("127.0.0.1", upstreams[0]), _Ok) as back:
            threading.Thread(target=back.serve_forever, daemon=True).start()
            again = requests.get(f"{nginx.url}/api/v1/me/", timeout=5)
            back.shutdown()
    finally:
        nginx.stop()
    assert (down.status_code, down.headers["Retry-After"]) == (502, "5")
    assert down.json()["error"] == "unavailable"
    assert again.text == "ok"
    tried = [len(entry.upstreams) for entry in access.entries()]
    assert tried[0] == 4, "every server line was tried before the 502"
