"""The shipped ``deploy/nginx.conf``, rendered for loopback, in a main config like the image's.

Only what differs between compose and this machine is substituted: the two upstream
servers, the listen port, the static directory and the access log's path. Each must be
found in the file, so a change to the shipped config cannot silently go untested.
"""

from __future__ import annotations

from pathlib import Path

from tests.servers import ROOT

SITE = ROOT / "deploy" / "nginx.conf"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
    return text.replace(old, new)


def render_site(upstreams: tuple[int, int], port: int, static_root: Path, access_log: Path) -> str:
    """Return deploy/nginx.conf with loopback addresses and this test's paths."""
    text = SITE.read_text()
    for name, upstream in zip(("web1", "web2"), upstreams, strict=True):
        text = _replace(text, f"server {name}:8000 ", f"server 127.0.0.1:{upstream} ")
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
