"""Parsing of client socket messages, and presence aggregation (pure functions)."""

from __future__ import annotations

import pytest

from collab.exceptions import BadRequest
from realtime.presence import members
from realtime.protocol import Ping, Presence, Subscribe, Unsubscribe, parse
from realtime.throttle import TokenBucket


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "ping"}', Ping()),
        ('{"type": "subscribe", "board": 3}', Subscribe(board=3, since=None)),
        ('{"type": "subscribe", "board": 3, "since": 0}', Subscribe(board=3, since=0)),
        ('{"type": "unsubscribe", "board": 3}', Unsubscribe(board=3)),
        ('{"type": "presence", "board": 3}', Presence(board=3, card=None, state="viewing")),
        (
            '{"type": "presence", "board": 3, "card": 9, "state": "editing"}',
            Presence(3, 9, "editing"),
        ),
    ],
)
def test_valid_messages_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "1",
        '{"type": null}',
        '{"type": "subscribe", "board": null}',
        '{"type": "presence", "board": 1, "card": "x"}',
        '{"type": "presence", "board": 1, "card": false}',
        '{"type": "subscribe", "board": 1, "since": 1.0}',
        '{"type": "subscribe\\u0000", "board": 1}',
        '{"type": "' + "x" * 10_000 + '"}',
    ],
)
def test_invalid_messages_raise_bad_request(text):
    with pytest.raises(BadRequest):
        parse(text)


def test_unknown_type_is_echoed_truncated():
    with pytest.raises(BadRequest) as error:
        parse('{"type": "' + "y" * 500 + '"}')
    assert len(error.value.message) < 100


def test_members_keep_each_users_most_active_tab_sorted_by_name():
    zoe = {"id": 2, "username": "zoe"}
    amy = {"id": 1, "username": "amy"}
    entries = [
        {"user": zoe, "card": None, "state": "viewing", "expires": 0},
        {"user": zoe, "card": 7, "state": "editing", "expires": 0},
        {"user": amy, "card": None, "state": "viewing", "expires": 0},
    ]
    assert members(entries) == [
        {"user": amy, "card": None, "state": "viewing"},
        {"user": zoe, "card": 7, "state": "editing"},
    ]


def test_token_bucket_allows_a_burst_then_refuses():
    bucket = TokenBucket(rate=0.001, burst=3)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
