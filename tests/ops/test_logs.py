"""Logs: one JSON object per line with the request id, and no secret in any of them.

Unit tests of the formatters and the redacting filter (project/logconfig.py), of the
request-log middleware in process, sync and async (project/request_log.py), and a real
Daphne with ``LOG_FORMAT=json`` driven through a log-in, token calls, errors and a socket.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import time
from typing import Any

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client
from django.urls import path
from websockets.sync.client import connect

from accounts.models import User
from project import urls as project_urls
from project.logconfig import (
    REDACTED,
    JsonFormatter,
    RequestContextFilter,
    TextFormatter,
    UncaughtExceptionsOnly,
    logging_config,
)
from project.request_log import REQUEST_ID_HEADER, request_id_var
from tests.conftest import client_for
from tests.servers import DaphneServer

# The in-process requests use this module's urlconf (below the unit tests).
pytestmark = pytest.mark.urls("tests.ops.test_logs")

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# Secrets of every kind, unique to this run, so that finding one in a log is never luck.
PASSWORD = f"pw-{secrets.token_urlsafe(12)}"
TOKEN = f"cbp_{secrets.token_urlsafe(32)}"
TICKET = secrets.token_urlsafe(32)
SESSION = secrets.token_hex(16)
CSRF = secrets.token_urlsafe(24)
BEARER = secrets.token_urlsafe(20)
METRICS_TOKEN = f"metrics-{secrets.token_urlsafe(16)}"
SECRET_KEY = f"secret-key-{secrets.token_urlsafe(40)}"

# Each kind of secret as it would travel, with the secrets it carries.
CARRIERS = {
    "authorization": (f"Authorization: Bearer {BEARER}", [BEARER]),
    "meta-authorization": (f"{{'HTTP_AUTHORIZATION': 'Bearer {BEARER}'}}", [BEARER]),
    "corkboard-token": (f"got {TOKEN} from the form", [TOKEN]),
    "ticket-query": (f"GET /ws/?since=4&ticket={TICKET}&x=1", [TICKET]),
    "ticket-json": (f'{{"ticket": "{TICKET}", "expires_in": 30}}', [TICKET]),
    "password-form": (f"username=alice&password={PASSWORD}&next=/", [PASSWORD]),
    "password-json": (f'{{"username": "alice", "password": "{PASSWORD}"}}', [PASSWORD]),
    "password-url": (f"postgres://corkboard:{PASSWORD}@db:5432/corkboard", [PASSWORD]),
    "cookie-header": (f"Cookie: sessionid={SESSION}; csrftoken={CSRF}", [SESSION, CSRF]),
    "session-cookie": (f"sessionid={SESSION}", [SESSION]),
    "csrf-header": (f"X-CSRFToken: {CSRF}", [CSRF]),
    "metrics-token": (f"scraped with {METRICS_TOKEN}", [METRICS_TOKEN]),
    "secret-key": (f"key is {SECRET_KEY}!", [SECRET_KEY]),
}


@pytest.fixture(autouse=True)
def _secret_settings(settings: Any) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.SECRET_KEY = SECRET_KEY


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    """Return a logger of its own whose handler is configured as the console one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestContextFilter())
    logger = logging.Logger("corkboard.test")  # not registered: no other handler sees it
    logger.addHandler(handler)
    return logger, stream


def _log_in(place: str, logger: logging.Logger, text: str) -> None:
    if place == "message":
        logger.warning(text)
    elif place == "args":
        logger.warning("received %s (%d)", text, 3)
    elif place == "extra":
        logger.warning("received", extra={"detail": text, "nested": {"items": [text]}})
    else:
        try:
            raise ValueError(text)
        except ValueError:
            logger.exception("failed")


# The formatter and the filter.


@pytest.mark.parametrize("place", ["message", "args", "extra", "exception"])
@pytest.mark.parametrize("kind", list(CARRIERS))
@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
def test_every_kind_of_secret_is_redacted_wherever_it_is(formatter, kind, place):
    logger, stream = _logger(formatter())
    text, carried = CARRIERS[kind]
    _log_in(place, logger, text)
    output = stream.getvalue()
    for secret in carried:
        assert secret not in output
    assert REDACTED in output


def test_string_fields_named_like_secrets_are_redacted_whole():
    logger, stream = _logger(JsonFormatter())
    body = {"token": "not-a-token-shape", "user": 3, "tokens_revoked": 2}
    logger.info("login", extra={"password": "plain words", "body": body})
    line = json.loads(stream.getvalue())
    assert line["password"] == REDACTED
    assert line["body"] == {"token": REDACTED, "user": 3, "tokens_revoked": 2}


def test_ordinary_text_and_ids_are_left_alone():
    logger, stream = _logger(JsonFormatter())
    logger.info("board_id=3 closed with close_code=1000", extra={"board_id": 3, "close_code": 1000})
    line = json.loads(stream.getvalue())
    assert line["message"] == "board_id=3 closed with close_code=1000"
    assert (line["board_id"], line["close_code"]) == (3, 1000)


def test_a_json_record_is_one_line_with_every_field_even_with_a_traceback():
    logger, stream = _logger(JsonFormatter())
    fields = {"request_id": "r-1", "user_id": 7, "method": "GET", "route": "api/v1/me/"}
    fields |= {"status": 500, "duration_ms": 1.5, "board_id": 2, "close_code": 1011}
    try:
        raise RuntimeError("first line\nsecond line")
    except RuntimeError:
        logger.error("request", extra=fields, exc_info=True)
    output = stream.getvalue()
    assert output.count("\n") == 1 and output.endswith("\n")
    line = json.loads(output)
    assert ISO_UTC.fullmatch(line["timestamp"])
    assert (line["level"], line["logger"], line["message"]) == (
        "ERROR",
        "corkboard.test",
        "request",
    )
    assert {key: line[key] for key in fields} == fields
    assert (
        line["exc_info"].startswith("Traceback") and "RuntimeError: first line" in line["exc_info"]
    )


def test_the_current_request_id_is_added_to_records_that_have_none():
    logger, stream = _logger(JsonFormatter())
    logger.info("outside a request")
    token = request_id_var.set("req-42")
    try:
        logger.info("inside a request")
        logger.info("its own id", extra={"request_id": "socket-1"})
    finally:
        request_id_var.reset(token)
    outside, inside, own = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "request_id" not in outside
    assert inside["request_id"] == "req-42"
    assert own["request_id"] == "socket-1"


def test_text_lines_stay_readable_and_carry_the_request_id():
    logger, stream = _logger(TextFormatter())
    logger.info("plain")
    logger.info("request", extra={"request_id": "abc", "status": 200})
    plain, request = stream.getvalue().splitlines()
    assert re.fullmatch(rf"{ISO_UTC.pattern} INFO corkboard.test: plain", plain)
    assert request.endswith("INFO corkboard.test: request request_id=abc status=200")


@pytest.mark.parametrize(
    ("log_format", "level", "named"),
    [("xml", "INFO", '"text" or "json"'), ("json", "LOUD", "DEBUG, INFO, WARNING")],
)
def test_a_bad_log_format_or_level_fails_at_startup_naming_the_allowed_values(
    log_format, level, named
):
    with pytest.raises(ImproperlyConfigured, match=re.escape(named)):
        logging_config(log_format, level)


@pytest.mark.parametrize(
    ("log_format", "formatter", "stream"),
    [
        ("json", JsonFormatter, "stdout"),
        ("JSON", JsonFormatter, "stdout"),
        ("text", TextFormatter, "stderr"),
    ],
)
def test_the_config_sends_each_format_to_its_stream_through_the_filter(
    log_format, formatter, stream
):
    config = logging_config(log_format, "info")
    handler = config["handlers"]["console"]
    assert config["formatters"][handler["formatter"]]["()"] is formatter
    assert handler["stream"] == f"ext://sys.{stream}"
    assert config["filters"][handler["filters"][0]]["()"] is RequestContextFilter
    assert config["root"]["level"] == "INFO"
    assert config["loggers"]["django.request"]["filters"] == ["uncaught_exceptions_only"]
    assert config["filters"]["uncaught_exceptions_only"]["()"] is UncaughtExceptionsOnly


# The middleware, in process. The urlconf of these tests is this module: the project's
# routes, a view that fails and one that shows the request id the view sees.


def _boom(request: HttpRequest) -> JsonResponse:
    raise RuntimeError("the view failed")


def _context(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"request_id": request_id_var.get()})


async def _async_context(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"request_id": request_id_var.get()})


urlpatterns = [
    path("api/v1/boom/", _boom),
    path("api/v1/context/", _context),
    path("api/v1/async-context/", _async_context),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    keys = ("request_id", "user_id", "method", "route", "status")
    return {key: getattr(record, key) for key in keys}


def test_a_valid_request_id_is_taken_echoed_and_seen_by_the_view(caplog):
    with caplog.at_level(logging.INFO, logger="corkboard.request"):
        response = Client().get("/api/v1/context/", HTTP_X_REQUEST_ID="nginx-1.a_B-2")
    assert response[REQUEST_ID_HEADER] == "nginx-1.a_B-2"
    assert response.json() == {"request_id": "nginx-1.a_B-2"}
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert line.request_id == "nginx-1.a_B-2"
    assert request_id_var.get() is None  # nothing leaks past the request


@pytest.mark.parametrize("header", [None, "", "a" * 201, "has space", "semi;colon", "é"])
def test_a_missing_or_invalid_request_id_is_replaced_by_a_generated_one(header):
    extra = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    first = Client().get("/api/v1/context/", **extra)
    second = Client().get("/api/v1/context/", **extra)
    assert GENERATED_ID.fullmatch(first[REQUEST_ID_HEADER])
    assert first.json()["request_id"] == first[REQUEST_ID_HEADER]
    assert first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]


def test_the_longest_valid_request_id_is_kept():
    request_id = "a" * 200
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=request_id)[REQUEST_ID_HEADER] == request_id


def test_a_token_request_logs_its_user_route_status_and_duration(team, caplog):
    with caplog.at_level(logging.INFO, logger="corkboard.request"):
        response = client_for(team.member).get(
            f"/api/v1/boards/{team.board.pk}/", HTTP_X_REQUEST_ID="tok-1"
        )
    assert response.status_code == 200
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert (line.levelno, line.getMessage()) == (logging.INFO, "request")
    assert _fields(line) == {
        "request_id": "tok-1",
        "user_id": team.member.pk,
        "method": "GET",
        "route": "api/v1/boards/<int:pk>/",
        "status": 200,
    }
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0


def test_a_session_request_logs_its_user(team, caplog):
    client = Client()
    client.force_login(team.owner)
    with caplog.at_level(logging.INFO, logger="corkboard.request"):
        assert client.get("/api/v1/me/").status_code == 200
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert (line.user_id, line.route) == (team.owner.pk, "api/v1/me/")


@pytest.mark.django_db
def test_an_anonymous_4xx_is_an_info_line_without_a_user_and_django_adds_none(caplog):
    with caplog.at_level(logging.DEBUG):
        response = Client().patch(
            "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_X_REQUEST_ID="anon-1"
        )
    assert response.status_code == 401
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert line.levelno == logging.INFO
    assert _fields(line) == {
        "request_id": "anon-1",
        "user_id": None,
        "method": "PATCH",
        "route": "api/v1/me/",
        "status": 401,
    }
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_an_unknown_method_and_an_unmatched_path_are_bounded(caplog):
    with caplog.at_level(logging.INFO, logger="corkboard.request"):
        Client().generic("BREW", "/api/v1/nowhere/")
        Client().get("/static/missing.css")
    brew, static = (r for r in caplog.records if r.name == "corkboard.request")
    assert (brew.method, brew.route, brew.status) == ("other", "api/v1/", 404)
    assert (static.route, static.status) == ("unmatched", 404)


def test_an_uncaught_exception_gets_its_500_line_and_one_traceback(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.DEBUG):
        response = client.get("/api/v1/boom/", HTTP_X_REQUEST_ID="boom-1")
    assert response.status_code == 500
    assert response[REQUEST_ID_HEADER] == "boom-1"
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert line.levelno == logging.ERROR
    assert _fields(line) == {
        "request_id": "boom-1",
        "user_id": None,
        "method": "GET",
        "route": "api/v1/boom/",
        "status": 500,
    }
    (traceback,) = [r for r in caplog.records if r.name == "django.request"]
    assert traceback.exc_info or traceback.exc_text


def test_health_probes_log_at_debug(caplog):
    with caplog.at_level(logging.DEBUG, logger="corkboard.request"):
        Client().get("/healthz")
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert (line.levelno, line.route, line.status) == (logging.DEBUG, "healthz", 200)


async def test_async_requests_get_their_id_and_their_line(caplog):
    with caplog.at_level(logging.INFO, logger="corkboard.request"):
        response = await AsyncClient().get(
            "/api/v1/async-context/", headers={REQUEST_ID_HEADER: "async-1"}
        )
    assert response.json() == {"request_id": "async-1"}
    assert response[REQUEST_ID_HEADER] == "async-1"
    (line,) = [r for r in caplog.records if r.name == "corkboard.request"]
    assert (line.request_id, line.route, line.status) == ("async-1", "api/v1/async-context/", 200)


# A real Daphne with JSON logs.


def _server_password_hash(password: str) -> str:
    # Test settings hash with MD5, which the server's PASSWORD_HASHERS cannot verify.
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=1000)


def _json_lines(log: str) -> list[dict[str, Any]]:
    """Parse every line of the server's output (each must be one JSON object)."""
    parsed = []
    for line in filter(str.strip, log.splitlines()):
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a line of the server's output is not JSON: {line!r}")
        assert isinstance(parsed[-1], dict), line
    return parsed


def _wait_for(server: DaphneServer, message: str, request_id: str) -> dict[str, Any]:
    """Return the server's log line with ``message`` and ``request_id``, polling for it."""
    deadline = time.monotonic() + 5
    while True:
        log = server.log()
        for line in _json_lines(log[: log.rfind("\n") + 1]):
            if line.get("message") == message and line.get("request_id") == request_id:
                return line
        assert time.monotonic() < deadline, f"no {message!r} line: {server.log()[-3000:]}"
        time.sleep(0.05)


@pytest.mark.multiprocess
@pytest.mark.django_db(transaction=True)
def test_a_json_server_logs_every_line_as_json_with_ids_and_no_secret(team):
    User.objects.filter(pk=team.member.pk).update(password=_server_password_hash(PASSWORD))
    server = DaphneServer(
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        METRICS_TOKEN=METRICS_TOKEN,
        SECRET_KEY=SECRET_KEY,
        THROTTLE_LOGIN="100000/min",
    )
    server.start()
    try:
        base, browser = server.url, requests.Session()
        csrf = browser.get(f"{base}/api/v1/auth/csrf/", timeout=10).json()["csrf_token"]
        wrong = browser.post(
            f"{base}/api/v1/auth/login/",
            json={"username": team.member.username, "password": f"{PASSWORD}-wrong"},
            headers={"X-CSRFToken": csrf},
            timeout=10,
        )
        assert wrong.status_code == 400, wrong.text
        login = browser.post(
            f"{base}/api/v1/auth/login/",
            json={"username": team.member.username, "password": PASSWORD},
            headers={"X-CSRFToken": csrf, REQUEST_ID_HEADER: "e2e-login"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        assert login.headers[REQUEST_ID_HEADER] == "e2e-login"
        rotated_csrf = browser.cookies["csrftoken"]
        created = browser.post(
            f"{base}/api/v1/tokens/",
            json={"name": "logs", "scopes": ["read", "write"]},
            headers={"X-CSRFToken": rotated_csrf},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}

        boards = requests.get(
            f"{base}/api/v1/boards/",
            headers={**bearer, REQUEST_ID_HEADER: "e2e-boards"},
            timeout=10,
        )
        assert boards.status_code == 200 and boards.headers[REQUEST_ID_HEADER] == "e2e-boards"
        missing = requests.get(f"{base}/api/v1/boards/999999999/", headers=bearer, timeout=10)
        assert missing.status_code == 404
        malformed = requests.post(
            f"{base}/api/v1/cards/",
            data=b"{not json",
            headers={**bearer, "Content-Type": "application/json"},
            timeout=10,
        )
        assert malformed.status_code == 400
        revoked_looking = {"Authorization": f"Bearer {TOKEN}"}
        refused = requests.get(f"{base}/api/v1/me/", headers=revoked_looking, timeout=10)
        assert refused.status_code == 401
        requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
        )
        ticket = requests.post(f"{base}/api/v1/auth/ws-ticket/", headers=bearer, timeout=10)
        assert ticket.status_code in (200, 201), ticket.text

        socket_url = base.replace("http://", "ws://") + f"/ws/?ticket={ticket.json()['ticket']}"
        with connect(socket_url, additional_headers={REQUEST_ID_HEADER: "e2e-socket"}) as socket:
            socket.send(json.dumps({"type": "subscribe", "board": team.board.pk}))
            while json.loads(socket.recv(timeout=5))["type"] != "subscribed":
                pass
        closed = _wait_for(server, "socket close", "e2e-socket")
        login_line = _wait_for(server, "request", "e2e-login")
        boards_line = _wait_for(server, "request", "e2e-boards")
    finally:
        server.stop()
        log = server.log()
        server.close()

    lines = _json_lines(log)
    secrets_used = {
        "password": PASSWORD,
        "token": created.json()["token"],
        "refused token": TOKEN,
        "ticket": ticket.json()["ticket"],
        "session cookie": browser.cookies["sessionid"],
        "csrf token": csrf,
        "rotated csrf token": rotated_csrf,
        "metrics token": METRICS_TOKEN,
        "secret key": SECRET_KEY,
    }
    leaked = [name for name, value in secrets_used.items() if value in log]
    assert leaked == [], log[-3000:]

    member = team.member.pk
    assert {key: login_line[key] for key in ("logger", "level", "method", "route", "status")} == {
        "logger": "corkboard.request",
        "level": "INFO",
        "method": "POST",
        "route": "api/v1/auth/login/",
        "status": 200,
    }
    assert login_line["user_id"] == member and ISO_UTC.fullmatch(login_line["timestamp"])
    assert (boards_line["user_id"], boards_line["route"]) == (member, "api/v1/boards/")
    statuses = {(line.get("route"), line.get("status")) for line in lines}
    assert {("api/v1/boards/<int:pk>/", 404), ("api/v1/cards/", 400), ("api/v1/me/", 401)} <= (
        statuses
    )
    socket_lines = [line for line in lines if line.get("request_id") == "e2e-socket"]
    assert [line["message"] for line in socket_lines] == [
        "socket connect",
        "socket subscribe",
        "socket close",
    ]
    assert {line["logger"] for line in socket_lines} == {"corkboard.socket"}
    assert {line["user_id"] for line in socket_lines} == {member}
    assert socket_lines[1]["board_id"] == team.board.pk
    assert closed["close_code"] == 1000
    print("\n" + "\n".join(json.dumps(line) for line in (login_line, *socket_lines)))
