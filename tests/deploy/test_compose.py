"""docker-compose.yml is a valid Compose file that runs Corkboard safely.

Validated against the Compose Specification's JSON schema (the copy check-jsonschema
ships as ``vendor.compose-spec``), then held to what production needs: no secret in the
file, restart policies and health checks, non-root web processes, a stop grace above the
drain time, static files shared read-only with nginx, and the WSGI split: an ``http``
service (gunicorn, ``bin/serve-http``) beside the Daphne ones, which nginx's config
names as they are named here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema
from django.conf import settings

from tests.servers import ROOT

TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
WEB = ("web1", "web2")
# gunicorn serving plain HTTP (bin/serve-http); the proxy routes /ws/ to WEB only.
HTTP = "http"
NGINX = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
SERVE_HTTP = ROOT / "bin" / "serve-http"
# Where the Dockerfile puts the project (WORKDIR), and the user it runs as (USER).
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
APP_DIR = re.findall(r"^WORKDIR (\S+)$", DOCKERFILE, re.MULTILINE)[-1]
APP_USER = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)[-1]
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _seconds(duration: str) -> float:
    """Return the seconds of a Compose duration such as ``15s`` or ``1m30s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def test_compose_file_matches_the_compose_specification():
    schema = get_builtin_schema("vendor.compose-spec")
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert not errors, errors


def test_no_secret_is_written_in_the_file():
    references = [match for text in _strings(COMPOSE) for match in REFERENCE.finditer(text)]
    secrets = [match for match in references if SECRET_NAME.search(match.group(1))]
    assert {match.group(1) for match in secrets} >= {"SECRET_KEY", "POSTGRES_PASSWORD"}
    for match in secrets:
        # Required (${X:?message}), or optional with an empty default (${X:-}).
        required = match.group(2) == ":?"
        assert required or (match.group(2) == ":-" and not match.group(3)), match.group(0)
    for service in SERVICES.values():
        for name, value in service.get("environment", {}).items():
            if SECRET_NAME.search(name):
                assert REFERENCE.fullmatch(str(value)), f"{name} is written in the file"
    for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", TEXT):
        assert REFERENCE.fullmatch(password), "a URL carries a literal password"


def test_the_header_comment_writes_every_required_variable_to_env():
    header = TEXT.split("\nx-web:", 1)[0]
    required = {m.group(1) for m in REFERENCE.finditer(TEXT) if m.group(2) == ":?"}
    for name in required:
        assert f"{name}=%s" in header, f"the quick start omits {name}"
    assert "docker compose up --build" in header


def test_every_long_running_service_restarts_and_has_a_health_check():
    for name, service in SERVICES.items():
        if name == "migrate":
            assert service["restart"] == "no"
            assert service["healthcheck"] == {"disable": True}
            continue
        assert service["logging"]["options"]["max-size"], f"{name}'s logs are not rotated"
        assert service["restart"] in ("always", "unless-stopped"), name
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
        assert not service["healthcheck"].get("disable"), name


def test_web_processes_run_daphne_unprivileged_with_the_readiness_probe():
    for name in (*WEB, HTTP, "migrate"):
        service = SERVICES[name]
        assert service["user"] == APP_USER != "root"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
    for name in WEB:
        service = SERVICES[name]
        assert "command" not in service, "the image's CMD (Daphne) runs"
        assert service["healthcheck"]["test"] == ["CMD", "python", "manage.py", "health"]
        assert _seconds(service["healthcheck"]["timeout"]) >= 5
        env = service["environment"]
        assert env["LOG_FORMAT"] == "json"
        assert env["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
        assert env["NUM_PROXIES"].startswith("${NUM_PROXIES:-1}")
        assert _seconds(service["stop_grace_period"]) > settings.REALTIME_SHUTDOWN_GRACE_SECONDS
        assert service["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }


def test_the_http_service_runs_gunicorn_with_the_web_settings():
    http, web = SERVICES[HTTP], SERVICES["web1"]
    assert http["command"] == ["bin/serve-http"]
    # The same image, user, hardening, settings, health check and start-up order.
    for key in ("image", "user", "read_only", "cap_drop", "security_opt", "tmpfs"):
        assert http[key] == web[key], key
    assert http["environment"] == {**web["environment"], "HTTP_WORKERS": "${HTTP_WORKERS:-2}"}
    assert http["environment"]["REDIS_URL"], "the split needs the Redis channel layer"
    assert http["healthcheck"] == web["healthcheck"]
    assert http["depends_on"] == web["depends_on"]
    assert http["restart"] == "unless-stopped"
    # gunicorn's graceful timeout (bin/serve-http's default) ends before Docker kills it.
    graceful = re.search(r"HTTP_GRACEFUL_TIMEOUT:-(\d+)", SERVE_HTTP.read_text())
    assert graceful and _seconds(http["stop_grace_period"]) > int(graceful.group(1))


def test_bin_serve_http_is_in_the_image_and_executable():
    assert SERVE_HTTP.stat().st_mode & 0o111
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"bin", "bin/", "bin/serve-http"} & set(ignored)


def _upstream(name: str) -> list[str]:
    block = re.search(rf"^upstream {name} \{{(.*?)^\}}", NGINX, re.MULTILINE | re.DOTALL)
    assert block, f"deploy/nginx.conf has no upstream {name}"
    return re.findall(r"^\s*server (\S+?)(?::\d+)?[ ;]", block.group(1), re.MULTILINE)


def test_nginx_sends_sockets_to_daphne_and_the_rest_to_the_http_service():
    assert set(_upstream("corkboard_ws")) == set(WEB)
    assert _upstream("corkboard_http") == [HTTP]
    locations = dict(re.findall(r"location (\S+) \{\s*proxy_pass http://(\w+);", NGINX))
    assert locations == {"/ws/": "corkboard_ws", "/": "corkboard_http"}


def test_the_dependencies_run_as_their_own_users():
    assert SERVICES["db"]["user"] == "postgres"
    assert SERVICES["redis"]["user"] == "redis"
    assert SERVICES["proxy"]["image"] == "nginx:1.27"


def test_migrate_collects_static_files_into_the_volume_nginx_serves_read_only():
    migrate, proxy = SERVICES["migrate"], SERVICES["proxy"]
    script = migrate["command"][-1]
    assert migrate["command"][:2] == ["sh", "-c"]
    assert "manage.py collectstatic --noinput" in script
    assert "manage.py migrate --noinput" in script
    static_root = PurePosixPath(APP_DIR) / settings.STATIC_ROOT.relative_to(settings.BASE_DIR)
    assert migrate["volumes"] == [f"static:{static_root}"]
    assert "static:/srv/corkboard/static:ro" in proxy["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert set(COMPOSE["volumes"]) == {"pgdata", "static"}
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}


def test_nginx_waits_for_healthy_web_processes():
    proxy = SERVICES["proxy"]
    healthy = {"condition": "service_healthy"}
    assert proxy["depends_on"] == {name: healthy for name in (*WEB, HTTP)}
    assert proxy["ports"] == ["8080:80"]


@pytest.mark.parametrize(("duration", "seconds"), [("15s", 15), ("1m30s", 90), ("500ms", 0.5)])
def test_durations_are_read_like_compose_does(duration, seconds):
    assert _seconds(duration) == seconds
