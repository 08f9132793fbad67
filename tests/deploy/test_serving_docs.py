"""docs/operations.md shows the server commands that the topology tests run.

"Serving HTTP and websockets" gives the uvicorn command and the gunicorn command behind
``bin/serve-http``; both must be what tests/topology starts (``UVICORN_FLAGS``, the
script itself), so the documented commands cannot drift from the tested ones.
"""

from __future__ import annotations

import os
import re
import subprocess

from tests.servers import ROOT, UVICORN_FLAGS

OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
SERVE_HTTP = ROOT / "bin" / "serve-http"


def _section(title: str) -> str:
    start = OPERATIONS.index(f"\n## {title}\n")
    end = OPERATIONS.find("\n## ", start + 1)
    return OPERATIONS[start:end]


def _commands(text: str) -> list[str]:
    """Return each command of the section's shell blocks, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    joined = "\n".join(block.replace("\\\n", " ") for block in blocks)
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip()]


def _serve_http(**env: str) -> subprocess.CompletedProcess[str]:
    """Run bin/serve-http with ``echo`` as its Python: it prints what it would exec."""
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HTTP_WORKERS")}
    return subprocess.run(
        [str(SERVE_HTTP)],
        env={**base, "PYTHON": "echo", **env},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_the_section_shows_the_tested_uvicorn_command():
    commands = _commands(_section("Serving HTTP and websockets"))
    expected = (
        f".venv/bin/uvicorn project.asgi:application --host 127.0.0.1 --port 8001 {UVICORN_FLAGS}"
    )
    assert expected in commands


def test_the_section_shows_the_gunicorn_command_of_bin_serve_http():
    result = _serve_http(REDIS_URL="redis://127.0.0.1:6379/0", HOST="127.0.0.1", PORT="8003")
    assert result.returncode == 0, result.stderr
    argv = result.stdout.split()
    assert argv[:2] == ["-m", "gunicorn"]
    commands = _commands(_section("Serving HTTP and websockets"))
    assert " ".join(["gunicorn", *argv[2:]]) in commands
    assert "HOST=127.0.0.1 PORT=8003 bin/serve-http &" in commands


def test_serve_http_takes_its_settings_from_the_environment():
    result = _serve_http(REDIS_URL="redis://r:6379/0", PORT="9000", HTTP_WORKERS="4")
    argv = result.stdout.split()
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "4"
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert "--no-control-socket" in argv and argv[-1] == "project.wsgi:application"


def test_serve_http_refuses_to_start_without_redis():
    result = _serve_http()
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr
    assert result.stdout == ""
