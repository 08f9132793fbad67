"""The run/test tooling agrees with itself: README, scripts, CI, compose and settings."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from collab.management.commands import seed_demo

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_VARIABLES = {
    "HOST",
    "PORT",
    "PYTHON",
    "PG_CLUSTER",
    "HTTP_WORKERS",
    "HTTP_TIMEOUT",
    "HTTP_GRACEFUL_TIMEOUT",
}


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def setting_variables() -> set[str]:
    """Return every environment variable the project and test settings read."""
    project = re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', _read("project/settings.py"))
    tests = re.findall(
        r'os\.environ(?:\.setdefault|\.get)\(\s*"([A-Z][A-Z0-9_]*)"', _read("tests/settings.py")
    )
    return set(project) | set(tests)


def example_variables() -> set[str]:
    """Return the variables .env.example assigns, commented out or not."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", _read(".env.example"), re.MULTILINE))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(_read("docker-compose.yml"))  # type: ignore[no-any-return]


def test_settings_variables_are_found() -> None:
    # Guards the regexes: if they stop matching, the documentation tests prove nothing.
    expected = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CONTENT_SECURITY_POLICY"}
    assert expected | {"TEST_DATABASE_NAME"} <= setting_variables()


def test_readme_starts_with_the_run_and_test_commands() -> None:
    readme = _read("README.md")
    blocks = re.findall(r"```\w*\n(.*?)```", readme, re.DOTALL)
    assert [block.strip() for block in blocks[:2]] == ["bin/run", "bin/test"]
    before_first_block = readme.split("```", 1)[0]
    assert before_first_block.strip().startswith("# ")
    assert before_first_block.strip().count("\n") == 0, "only the title precedes the commands"


def test_readme_documents_every_setting_variable() -> None:
    readme = _read("README.md")
    missing = {name for name in setting_variables() | SCRIPT_VARIABLES if f"`{name}`" not in readme}
    assert not missing, f"README.md does not document: {sorted(missing)}"


def test_env_example_lists_every_setting_variable_and_nothing_else() -> None:
    documented = example_variables()
    assert not setting_variables() - documented, sorted(setting_variables() - documented)
    assert documented - setting_variables() <= SCRIPT_VARIABLES, sorted(
        documented - setting_variables()
    )


def test_ci_runs_the_readme_test_command() -> None:
    script = _read(".ci/run")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert re.search(r"^exec bin/test$", script, re.MULTILINE)


@pytest.mark.parametrize(
    "script", ["bin/run", "bin/test", ".ci/run", "bin/backup", "bin/restore", "bin/serve-http"]
)
def test_scripts_are_executable_bash(script: str) -> None:
    path = ROOT / script
    assert os.access(path, os.X_OK)
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_run_prints_the_seeded_logins() -> None:
    script = _read("bin/run")
    assert f"alice / {seed_demo.DEMO_PASSWORD}" in script
    assert f"bob / {seed_demo.DEMO_PASSWORD}" in script
    assert f"admin / {seed_demo.ADMIN_PASSWORD}" in script
    assert "manage.py seed_demo" in script
    assert "project.asgi:application" in script


def test_compose_runs_two_web_processes_behind_a_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "redis", "migrate", "web1", "web2", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["web1"]["environment"] == services["web2"]["environment"]
    assert services["web1"]["build"] == services["web2"]["build"] == "."
    assert "python manage.py migrate --noinput" in services["migrate"]["command"][-1]
    for web in ("web1", "web2"):
        assert services[web]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    mount = next(v for v in services["proxy"]["volumes"] if "nginx.conf" in v)
    assert (ROOT / mount.split(":")[0]).is_file()


def test_compose_environment_uses_only_real_settings(compose: dict[str, Any]) -> None:
    env = compose["services"]["web1"]["environment"]
    assert set(env) <= setting_variables()
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "no default secret in production"


def test_proxy_passes_websocket_upgrades_to_both_processes(compose: dict[str, Any]) -> None:
    conf = _read("deploy/nginx.conf")
    assert "server web1:8000 " in conf and "server web2:8000 " in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "proxy_http_version 1.1;" in conf


def test_dockerfile_builds_the_front_end_and_runs_daphne_as_non_root() -> None:
    dockerfile = _read("Dockerfile")
    assert re.search(r"^FROM node:20\S* AS frontend$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "COPY --from=frontend" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER (?!root)\w+$", dockerfile, re.MULTILINE)
    assert re.search(r'^CMD \["daphne".*"project\.asgi:application"\]$', dockerfile, re.MULTILINE)


def test_the_test_command_checks_the_layers_contract() -> None:
    assert re.search(
        r'^run_check "lint-imports[^"]*" "\$VENV/bin/lint-imports"$', _read("bin/test"), re.M
    )
    assert re.search(r"^import-linter==\d+(\.\d+)+$", _read("requirements-dev.txt"), re.M)
    pyproject = _read("pyproject.toml")
    assert 'layers = ["project", "api | realtime", "collab", "accounts"]' in pyproject
    assert 'ignore_imports = ["collab.** -> realtime.publish"]' in pyproject


def test_the_layers_contract_holds() -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_django_filter_is_not_a_dependency() -> None:
    """Installed and configured but off in every view: dropped, not carried along."""
    for name in ("requirements.txt", "project/settings.py", "api/views/base.py"):
        text = _read(name).lower()
        assert "django-filter" not in text and "django_filters" not in text, name
        assert "filter_backends" not in text, name
