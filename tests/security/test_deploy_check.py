"""Production settings pass ``manage.py check --deploy`` and refuse the published key."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys

import pytest

from tests.servers import ROOT

PRODUCTION = {
    "DEBUG": "0",
    "HTTPS_ONLY": "1",
    "BEHIND_TLS_PROXY": "1",
    "ALLOWED_HOSTS": "corkboard.example.com",
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DJANGO_SETTINGS_MODULE", "CORKBOARD_ALLOW_INSECURE_KEY", "SECRET_KEY", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def test_check_deploy_with_production_settings_reports_no_issues():
    result = _run("check", "--deploy", SECRET_KEY=_secret_key(), **PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNING" not in output.upper().replace("SYSTEM CHECK IDENTIFIED NO ISSUES", "")


def test_production_refuses_to_start_with_the_published_secret_key():
    result = _run("check", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY is unset" in result.stderr


def test_https_only_turns_on_every_https_protection():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, "
        "s.X_FRAME_OPTIONS, s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_REFERRER_POLICY, s.DEBUG]))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "CORKBOARD_ALLOW_INSECURE_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "SECRET_KEY": _secret_key(),
            **PRODUCTION,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[true, true, true, 31536000, true, ["HTTP_X_FORWARDED_PROTO", "https"], '
        '"DENY", true, "same-origin", false]'
    )


@pytest.mark.parametrize("entry_point", ["project.asgi", "project.wsgi"])
def test_serving_refuses_the_published_secret_key_even_with_debug_unset(entry_point):
    """A server started with no configuration at all must not sign with a public key."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DJANGO_SETTINGS_MODULE", "CORKBOARD_ALLOW_INSECURE_KEY", "SECRET_KEY", "DEBUG"}
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import {entry_point}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is unset" in result.stderr


def test_a_bare_checkout_can_run_makemigrations_check():
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DJANGO_SETTINGS_MODULE", "CORKBOARD_ALLOW_INSECURE_KEY", "SECRET_KEY", "DEBUG"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_published_key_is_refused_by_one_rule_in_one_module():
    """The rule lives in project/secret_key.py; entry points and settings do not repeat it."""
    callers = {
        path.relative_to(ROOT).as_posix()
        for folder in ("project", "api", "collab", "realtime", "accounts")
        for path in (ROOT / folder).rglob("*.py")
        if "check_secret_key(" in path.read_text(encoding="utf-8")
    }
    assert callers == {"project/secret_key.py"}


def test_a_configured_deployment_refuses_the_published_key_for_every_checked_command():
    result = _run("migrate", "--plan", DEBUG="0", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode != 0
    assert "SECRET_KEY is unset" in result.stderr
