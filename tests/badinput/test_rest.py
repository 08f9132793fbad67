"""Bad input over REST: each request gets a clear 4xx in the error shape, the server
keeps serving, and nothing already saved changes.

Raw bodies name the saved objects with ``@column@``-style markers (JSON's braces rule
out ``str.format``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.badinput.conftest import World, assert_client_error
from tests.security.conftest import bearer
from tests.security.state import db_state

API = "/api/v1"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: str | bytes = ""
    status: int | tuple[int, ...] = 400
    content_type: str = "application/json"
    headers: dict[str, Any] = field(default_factory=dict)


def _card(fields: str) -> str:
    """A card-create body with the given extra JSON members."""
    return '{"column": @column@, "title": "New"' + (", " + fields if fields else "") + "}"


NESTED_ARRAYS = "[" * 10_000 + "]" * 10_000
NESTED_OBJECTS = '{"a":' * 10_000 + "1" + "}" * 10_000

MALFORMED = [
    Case("truncated-object", "POST", "/cards/", '{"column": @column@, "title": "x"'),
    Case("trailing-comma", "POST", "/cards/", '{"column": @column@, "title": "x",}'),
    Case("single-quotes", "POST", "/cards/", "{'column': @column@, 'title': 'x'}"),
    Case("bare-word", "POST", "/cards/", "title"),
    Case("nan-number", "POST", "/cards/", '{"column": NaN, "title": "x"}'),
    Case("infinity-number", "POST", "/cards/", '{"column": Infinity, "title": "x"}'),
    Case("empty-body", "POST", "/cards/", ""),
    Case("invalid-utf8", "POST", "/cards/", b'{"column": 1, "title": "\xff\xfe"}'),
    Case("utf16-body", "POST", "/cards/", '{"title": "x"}'.encode("utf-16")),
    Case("array-body", "POST", "/cards/", "[1, 2]"),
    Case("string-body", "POST", "/cards/", '"card"'),
    Case("null-body", "POST", "/cards/", "null"),
    Case("number-body", "PATCH", "/cards/@card@/", "42"),
    Case(
        "duplicate-key-smuggles-object",
        "POST",
        "/cards/",
        '{"column": @column@, "title": "x", "title": {"$ne": ""}}',
    ),
    Case("nested-arrays-10k", "POST", "/cards/", NESTED_ARRAYS),
    Case("nested-objects-10k", "POST", "/cards/", NESTED_OBJECTS),
    Case("nested-10k-inside-a-field", "POST", "/cards/", _card('"labels": ' + NESTED_ARRAYS)),
    Case("nested-10k-on-workspace", "POST", "/workspaces/", NESTED_OBJECTS),
]

WRONG_TYPES = [
    # text fields
    *(
        Case(f"title-as-{kind}", "POST", "/cards/", '{"column": @column@, "title": ' + value + "}")
        for kind, value in (
            ("int", "42"),
            ("list", '["x"]'),
            ("bool", "true"),
            ("null", "null"),
            ("object", '{"x": 1}'),
            ("float", "1.5"),
        )
    ),
    Case("comment-body-as-list", "POST", "/comments/", '{"card": @card@, "body": ["x"]}'),
    Case("workspace-name-as-null", "PATCH", "/workspaces/@workspace@/", '{"name": null}'),
    Case("member-role-as-int", "PATCH", "/workspaces/@workspace@/members/@member@/", '{"role": 3}'),
    Case("label-color-as-int", "PATCH", "/labels/@label@/", '{"color": 16711680}'),
    # id fields
    *(
        Case(f"column-id-as-{kind}", "POST", "/cards/", '{"column": ' + value + ', "title": "x"}')
        for kind, value in (
            ("string", '"@column@"'),
            ("float", "1.5"),
            ("integral-float", "@column@.0"),
            ("exponent", "1e3"),
            ("bool", "true"),
            ("null", "null"),
            ("list", "[@column@]"),
            ("object", '{"id": @column@}'),
            ("negative", "-1"),
            ("zero", "0"),
            ("beyond-bigint", "9223372036854775808"),
            ("huge", "1" + "0" * 100),
        )
    ),
    Case(
        "move-after-as-string",
        "POST",
        "/cards/@card@/move/",
        '{"column": @column@, "after": "@card@"}',
    ),
    # list fields
    *(
        Case(f"assignees-as-{kind}", "PATCH", "/cards/@card@/", '{"assignees": ' + value + "}")
        for kind, value in (
            ("string", '"@member@"'),
            ("int", "@member@"),
            ("list-of-strings", '["@member@"]'),
            ("list-of-null", "[null]"),
            ("list-of-floats", "[1.5]"),
            ("object", '{"0": @member@}'),
            ("nested-list", "[[@member@]]"),
            ("null", "null"),
        )
    ),
    Case("labels-of-unknown-ids", "PATCH", "/cards/@card@/", '{"labels": [9223372036854775807]}'),
    Case(
        "role-as-list",
        "POST",
        "/workspaces/@workspace@/members/",
        '{"username": "outsider", "role": ["admin"]}',
    ),
    # dates
    *(
        Case(f"due-at-as-{kind}", "PATCH", "/cards/@card@/", '{"due_at": ' + value + "}")
        for kind, value in (
            ("int", "1700000000"),
            ("word", '"tomorrow"'),
            ("list", '["2030-01-01"]'),
            ("impossible-date", '"2030-13-45T00:00:00Z"'),
        )
    ),
    # booleans
    *(
        Case(f"archived-as-{kind}", "PATCH", "/cards/@card@/", '{"archived": ' + value + "}")
        for kind, value in (
            ("string", '"true"'),
            ("int", "1"),
            ("null", "null"),
            ("word", '"yes"'),
        )
    ),
]

UNKNOWN_FIELDS = [
    Case("unknown-field-on-create", "POST", "/cards/", _card('"admin": true')),
    Case("client-chosen-id", "POST", "/cards/", _card('"id": 999999')),
    Case("read-only-version", "PATCH", "/cards/@card@/", '{"title": "x", "version": 99}'),
    Case("read-only-board", "PATCH", "/cards/@card@/", '{"board": 1}'),
    Case("read-only-created-by", "PATCH", "/cards/@card@/", '{"created_by": @member@}'),
    Case("client-chosen-position", "PATCH", "/cards/@card@/", '{"position": "0"}'),
    Case(
        "description-html-is-not-writable",
        "PATCH",
        "/cards/@card@/",
        '{"description_html": "<script>x</script>"}',
    ),
    Case("reaction-unknown", "POST", "/comments/@comment@/reactions/", '{"reaction": "thumbsup"}'),
    Case("reaction-as-list", "POST", "/comments/@comment@/reactions/", '{"reaction": ["+1"]}'),
    Case(
        "reaction-active-string",
        "POST",
        "/comments/@comment@/reactions/",
        '{"reaction": "+1", "active": "true"}',
    ),
    Case(
        "reaction-emoji-not-name",
        "POST",
        "/comments/@comment@/reactions/",
        '{"reaction": "\\ud83d\\ude80"}',
    ),
    Case(
        "reaction-extra-field",
        "POST",
        "/comments/@comment@/reactions/",
        '{"reaction": "+1", "user": 1}',
    ),
    Case(
        "webhook-url-as-number",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": 5, "event_types": ["*"]}',
    ),
    Case(
        "webhook-url-javascript",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "javascript:alert(1)", "event_types": ["*"]}',
    ),
    Case(
        "webhook-url-file",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "file:///etc/passwd", "event_types": ["*"]}',
    ),
    Case(
        "webhook-url-metadata",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://169.254.169.254/", "event_types": ["*"]}',
    ),
    Case(
        "webhook-url-huge",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://a.example/' + "a" * 3000 + '", "event_types": ["*"]}',
    ),
    Case(
        "webhook-url-control-chars",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://a.example/\\u0000", "event_types": ["*"]}',
    ),
    Case(
        "webhook-events-not-a-list",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://127.0.0.1:9/", "event_types": {"a": 1}}',
    ),
    Case(
        "webhook-events-of-numbers",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://127.0.0.1:9/", "event_types": [1, 2]}',
    ),
    Case(
        "webhook-secret-given",
        "POST",
        "/workspaces/@workspace@/webhooks/",
        '{"url": "http://127.0.0.1:9/", "event_types": ["*"], "secret": "whsec_x"}',
    ),
    Case("webhook-patch-empty", "PATCH", "/workspaces/@workspace@/webhooks/@webhook@/", "{}"),
    Case(
        "webhook-patch-active-string",
        "PATCH",
        "/workspaces/@workspace@/webhooks/@webhook@/",
        '{"active": "false"}',
    ),
    Case(
        "webhook-redeliver-since-negative",
        "POST",
        "/workspaces/@workspace@/webhooks/@webhook@/redeliver/",
        '{"board": @board@, "since": -1}',
    ),
    Case(
        "webhook-redeliver-board-string",
        "POST",
        "/workspaces/@workspace@/webhooks/@webhook@/redeliver/",
        '{"board": "@board@", "since": 0}',
    ),
    Case(
        "webhook-redeliver-no-body",
        "POST",
        "/workspaces/@workspace@/webhooks/@webhook@/redeliver/",
        "",
    ),
    Case(
        "webhook-deliveries-bad-state",
        "GET",
        "/workspaces/@workspace@/webhooks/@webhook@/deliveries/?state=lost",
    ),
    Case(
        "webhook-deliveries-bad-board",
        "GET",
        "/workspaces/@workspace@/webhooks/@webhook@/deliveries/?board=abc",
    ),
    Case(
        "webhook-huge-id",
        "GET",
        "/workspaces/@workspace@/webhooks/99999999999999999999999/",
        status=404,
    ),
    Case("notifications-unread-maybe", "GET", "/notifications/?unread=maybe"),
    Case(
        "notification-read-missing", "POST", "/notifications/99999999999999999999/read/", status=404
    ),
    Case("comment-hidden-flag", "PATCH", "/comments/@comment@/", '{"body": "x", "hidden": false}'),
    Case("board-seq", "PATCH", "/boards/@board@/", '{"seq": 0}'),
    Case("empty-patch", "PATCH", "/cards/@card@/", "{}"),
]

HUGE = [
    Case(
        "title-1mb",
        "POST",
        "/cards/",
        json.dumps({"column": "@column@", "title": "t" * 1_000_000}).replace(
            '"@column@"', "@column@"
        ),
    ),
    Case(
        "description-over-limit",
        "PATCH",
        "/cards/@card@/",
        json.dumps({"description": "d" * 50_001}),
    ),
    Case(
        "comment-over-limit",
        "POST",
        "/comments/",
        '{"card": @card@, "body": "' + "b" * 10_001 + '"}',
    ),
    Case(
        "username-over-limit",
        "POST",
        "/workspaces/@workspace@/members/",
        '{"username": "' + "u" * 10_000 + '", "role": "viewer"}',
    ),
    Case(
        "body-over-1mib", "POST", "/cards/", _card('"description": "' + "d" * (MIB + 1) + '"'), 413
    ),
    Case(
        "declared-length-over-1mib",
        "POST",
        "/cards/",
        _card(""),
        413,
        headers={"CONTENT_LENGTH": str(MIB + 1)},
    ),
    Case(
        "assignees-list-of-20k",
        "PATCH",
        "/cards/@card@/",
        json.dumps({"assignees": list(range(10_000_000, 10_020_000))}),
    ),
]

UNICODE = [
    Case("lone-high-surrogate", "POST", "/cards/", _card("").replace('"New"', '"a\\ud800b"')),
    Case("lone-low-surrogate", "PATCH", "/cards/@card@/", '{"title": "\\udc00"}'),
    Case("reversed-surrogate-pair", "PATCH", "/columns/@column@/", '{"title": "\\udfff\\ud800"}'),
    Case("surrogate-in-comment", "POST", "/comments/", '{"card": @card@, "body": "x\\ud83d"}'),
    Case(
        "surrogate-in-username",
        "POST",
        "/workspaces/@workspace@/members/",
        '{"username": "\\ud800", "role": "viewer"}',
    ),
    Case("null-byte-in-title", "PATCH", "/cards/@card@/", '{"title": "a\\u0000b"}'),
    Case("null-byte-in-description", "PATCH", "/cards/@card@/", '{"description": "a\\u0000b"}'),
    Case(
        "null-byte-in-username",
        "POST",
        "/workspaces/@workspace@/members/",
        '{"username": "mem\\u0000ber", "role": "viewer"}',
    ),
    Case("null-byte-in-query", "GET", "/cards/?board=1%00"),
    Case("rtl-override-in-title", "PATCH", "/cards/@card@/", '{"title": "invoice\\u202efdp.exe"}'),
    Case("rtl-isolate-in-column", "PATCH", "/columns/@column@/", '{"title": "\\u2067abc\\u2069"}'),
    Case("zero-width-only-title", "PATCH", "/cards/@card@/", '{"title": "\\u200b\\u200d\\ufeff"}'),
    Case("whitespace-only-title", "PATCH", "/cards/@card@/", '{"title": " \\u3000\\t "}'),
    Case("c1-control-in-title", "PATCH", "/cards/@card@/", '{"title": "a\\u0085b"}'),
    Case("line-separator-in-title", "PATCH", "/cards/@card@/", '{"title": "a\\u2028b"}'),
    Case(
        "escape-sequence-in-name", "PATCH", "/workspaces/@workspace@/", '{"name": "\\u001b[31mred"}'
    ),
]

IDS = [
    *(
        Case(f"path-id-{kind}", "GET", f"/cards/{value}/", status=404)
        for kind, value in (
            ("negative", "-1"),
            ("zero", "0"),
            ("huge", "99999999999999999999"),
            ("float", "1.5"),
            ("word", "abc"),
            ("sql", "1%20OR%201=1"),
        )
    ),
    Case(
        "path-id-beyond-bigint-patch", "PATCH", "/cards/9223372036854775808/", '{"title": "x"}', 404
    ),
    Case("path-id-max-bigint-delete", "DELETE", "/cards/9223372036854775807/", status=404),
    *(
        Case(f"query-id-{kind}", "GET", f"/cards/?board={value}")
        for kind, value in (
            ("negative", "-1"),
            ("zero", "0"),
            ("float", "1.5"),
            ("word", "abc"),
            ("huge", "9" * 30),
            ("sql", "1%20OR%201=1"),
            ("sql-union", "1%20UNION%20SELECT%20password%20FROM%20accounts_user"),
        )
    ),
    Case("events-after-negative", "GET", "/boards/@board@/events/?after=-1"),
    Case("events-limit-zero", "GET", "/boards/@board@/events/?limit=0"),
    Case("events-limit-huge", "GET", "/boards/@board@/events/?limit=100000000"),
    Case("stream-since-negative", "GET", "/boards/@board@/stream/?since=-1"),
    Case("stream-since-huge", "GET", "/boards/@board@/stream/?since=" + "9" * 30),
    Case("stream-since-word", "GET", "/boards/@board@/stream/?since=abc"),
    Case(
        "stream-last-event-id-word",
        "GET",
        "/boards/@board@/stream/",
        headers={"HTTP_LAST_EVENT_ID": "1 OR 1=1"},
    ),
    Case("page-not-a-number", "GET", "/cards/?page=abc", status=404),
]

IF_MATCH = [
    *(
        Case(
            f"if-match-{kind}",
            "PATCH",
            "/cards/@card@/",
            '{"title": "x"}',
            headers={"HTTP_IF_MATCH": value},
        )
        for kind, value in (
            ("word", "garbage"),
            ("quoted-word", '"abc"'),
            ("negative", '"-1"'),
            ("too-long", '"' + "9" * 20 + '"'),
            ("two-versions", '"1", "2"'),
            ("empty", ""),
            ("weak-word", 'W/"x"'),
            ("sql", "1 OR 1=1"),
        )
    ),
    Case(
        "if-match-garbage-on-delete",
        "DELETE",
        "/cards/@card@/",
        headers={"HTTP_IF_MATCH": "garbage"},
    ),
    Case(
        "if-match-stale",
        "PATCH",
        "/cards/@card@/",
        '{"title": "x"}',
        412,
        headers={"HTTP_IF_MATCH": '"999"'},
    ),
]

TRANSPORT = [
    Case(
        "form-encoded",
        "POST",
        "/cards/",
        "column=1&title=x",
        415,
        "application/x-www-form-urlencoded",
    ),
    Case("text-plain", "POST", "/cards/", '{"column": @column@, "title": "x"}', 415, "text/plain"),
    Case(
        "multipart",
        "POST",
        "/cards/",
        "--b\r\n\r\nx\r\n--b--",
        415,
        "multipart/form-data; boundary=b",
    ),
    Case("xml", "POST", "/cards/", "<card><title>x</title></card>", 415, "application/xml"),
    Case("put-is-not-a-route-method", "PUT", "/cards/@card@/", '{"title": "x"}', 405),
    Case("trace-method", "TRACE", "/cards/@card@/", status=405),
    Case("unknown-route", "POST", "/cards/@card@/explode/", '{"x": 1}', 404),
]

CASES = MALFORMED + WRONG_TYPES + UNKNOWN_FIELDS + HUGE + UNICODE + IDS + IF_MATCH + TRANSPORT


def _fill(text: str | bytes, ids: dict[str, int]) -> str | bytes:
    for name, value in ids.items():
        marker = f"@{name}@"
        text = (
            text.replace(marker.encode(), str(value).encode())
            if isinstance(text, bytes)
            else text.replace(marker, str(value))
        )
    return text


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_request_gets_a_clear_4xx_and_changes_nothing(world: World, case: Case):
    ids = world.ids()
    client = bearer(world.team.owner)
    before = db_state()
    response = client.generic(
        case.method,
        API + str(_fill(case.path, ids)),
        _fill(case.body, ids),  # type: ignore[arg-type]  # bytes are sent as they are
        content_type=case.content_type,
        **case.headers,
    )
    assert_client_error(response, case.status)
    assert db_state() == before
    # The server keeps serving, and what was saved is intact.
    card = client.get(f"{API}/cards/{world.card.pk}/")
    assert card.status_code == 200
    assert card.json()["title"] == "Saved card" and card.json()["description"] == "Saved *text*"


def test_odd_usernames_at_signup_are_refused_cleanly(api, world):
    from tests.api.conftest import csrf

    api.get(f"{API}/auth/csrf/")
    before = db_state()
    for username, status in [
        ("\uff4dember", 409),  # NFKC folds it onto the existing "member"
        ("MEMBER", 409),
        ("a" * 151, 400),
        ("\u202eevil", 400),
        ("bad name", 400),
        ("", 400),
        ("\ufdfa" * 10, 400),  # NFKC-expands past 150 characters
    ]:
        response = api.post(
            f"{API}/auth/signup/",
            {"username": username, "password": "a-long-unusual-password-5"},
            format="json",
            **csrf(api),
        )
        assert_client_error(response, status)
    assert db_state() == before


VALID_TEXT = [
    pytest.param("Ship it 🚀🎉", id="emoji"),
    pytest.param("👩\u200d💻 family 👨\u200d👩\u200d👧", id="zwj-emoji-sequence"),
    pytest.param("Cafe\u0301 na\u0308ive Z\u0335a\u0336", id="combining-marks"),
    pytest.param("مرحبا بالعالم", id="arabic-rtl"),
    pytest.param("עברית and English", id="hebrew-mixed"),
    pytest.param("漢字かなカナ한국어", id="cjk"),
    pytest.param("'; DROP TABLE collab_card; --", id="sql-drop-table"),
    pytest.param('" OR 1=1 --', id="sql-tautology"),
    pytest.param("%' OR '1'='1", id="sql-like-wildcard"),
    pytest.param("$1 \\x00 \\u0000 %s %(x)s {0}", id="placeholders-and-escapes-as-text"),
    pytest.param("Robert'); DELETE FROM accounts_user WHERE ('1'='1", id="sql-bobby-tables"),
]


@pytest.mark.parametrize("text", VALID_TEXT)
def test_valid_unicode_and_sql_looking_text_is_stored_verbatim(world: World, text: str):
    client = bearer(world.team.owner)
    users_before = db_state()["User"]
    created = client.post(
        f"{API}/cards/",
        {"column": world.team.todo.pk, "title": text, "description": text},
        format="json",
    )
    assert created.status_code == 201, created.content
    comment = client.post(
        f"{API}/comments/", {"card": created.json()["id"], "body": text}, format="json"
    )
    assert comment.status_code == 201, comment.content
    stored = client.get(f"{API}/cards/{created.json()['id']}/").json()
    assert stored["title"] == text and stored["description"] == text
    assert client.get(f"{API}/comments/{comment.json()['id']}/").json()["body"] == text
    search = client.get(f"{API}/cards/", {"board": world.team.board.pk})
    assert search.json()["count"] == 2
    assert db_state()["User"] == users_before
    assert client.get(f"{API}/cards/{world.card.pk}/").json()["title"] == "Saved card"


def test_bidi_marks_stay_allowed_in_paragraphs(world: World):
    """Right-to-left writers need isolates in descriptions and comments."""
    client = bearer(world.team.owner)
    text = "Price: \u2067\u0661\u0662\u0663\u2069 and \u202b\u0645\u0631\u062d\u0628\u0627\u202c"
    response = client.patch(f"{API}/cards/{world.card.pk}/", {"description": text}, format="json")
    assert response.status_code == 200 and response.json()["description"] == text


LOGIN_BODIES = [
    pytest.param("{", id="truncated"),
    pytest.param(NESTED_OBJECTS, id="nested-10k"),
    pytest.param('{"username": "\\ud800", "password": "x"}', id="surrogate-username"),
    pytest.param('{"username": "mem\\u0000ber", "password": "x"}', id="null-byte-username"),
    pytest.param('{"username": "member", "password": "\\u0000"}', id="null-byte-password"),
    pytest.param('{"username": ["member"], "password": "x"}', id="username-as-list"),
    pytest.param('{"username": "member", "password": "x", "remember": true}', id="unknown-field"),
    pytest.param('{"username": "' + "m" * 100_000 + '", "password": "x"}', id="huge-username"),
    pytest.param("[]", id="array-body"),
]


@pytest.mark.parametrize("body", LOGIN_BODIES)
def test_bad_login_bodies_are_refused_before_any_lookup(api, world, body):
    """The login throttle reads the body before validation: it must not choke on it either."""
    from tests.api.conftest import csrf

    api.get(f"{API}/auth/csrf/")
    before = db_state()
    response = api.generic(
        "POST",
        f"{API}/auth/login/",
        body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        **csrf(api),
    )
    assert_client_error(response, 400)
    assert "sessionid" not in response.cookies
    assert db_state() == before
