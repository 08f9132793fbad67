"""The shipped ``deploy/nginx.conf``, rendered for loopback, in a main config like the image's.

Only what differs between compose and this machine is substituted: the upstream servers,
the listen port, the static directory and the access log's path. Each must be found in
the file, so a change to the shipped config cannot silently go untested.

Both layouts of docs/operations.md run from the one file: the WSGI split (``http``, the
gunicorn port, in ``corkboard_http``), or Daphne alone (``corkboard_http`` gets the same
server lines written as comments in it, uncommented as the file tells an operator to do).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.servers import ROOT

SITE = ROOT / "deploy" / "nginx.conf"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
    return text.replace(old, new)


# The gunicorn line of corkboard_http, and its commented Daphne lines (Daphne alone).
HTTP_SERVER = "    server http:8000;\n"
DAPHNE_ALONE = re.compile(r"^    # (server web[12]:8000 .*;)$", re.MULTILINE)


def _upstream_lines(text: str, webs: tuple[int, ...]) -> str:
    """Point web1 (and web2) at ``webs``; with one process, drop web2's lines."""
    if len(webs) == 1:
        text = re.sub(r"^    (# )?server web2:8000 .*;\n", "", text, flags=re.MULTILINE)
    for name, upstream in zip(("web1", "web2"), webs, strict=False):
        text = _replace(text, f"server {name}:8000 ", f"server 127.0.0.1:{upstream} ")
    return text


def render_site(
    webs: tuple[int, ...],
    port: int,
    static_root: Path,
    access_log: Path,
    http: int | None = None,
) -> str:
    """Return deploy/nginx.conf with loopback addresses and this test's paths.

    ``webs`` are the one or two ASGI servers of ``corkboard_ws``; ``http`` is gunicorn's
    port for ``corkboard_http``, or ``None`` for Daphne alone (the same servers there).
    """
    assert 1 <= len(webs) <= 2, webs
    text = SITE.read_text()
    if http is None:
        text, uncommented = DAPHNE_ALONE.subn(r"    \1", _replace(text, HTTP_SERVER, ""))
        assert uncommented == 4, "corkboard_http no longer lists Daphne alone's four lines"
    else:
        text = _replace(text, HTTP_SERVER, f"    server 127.0.0.1:{http};\n")
    text = _upstream_lines(text, webs)
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{port};")
    text = _replace(text, "/srv/corkboard/static/", f"{static_root}/")
    return _replace(text, "/var/log/nginx/access.log", str(access_log))


def main_config(site: str, prefix: Path) -> str:
    """Return an ``nginx.conf`` like the nginx image's, with ``site`` as its one conf.d file.

    Two workers, so that the upstream's shared zone (failure marks, round robin) matters.
    """
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""worker_processes 2;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
{temp}

{site}
}}
"""
