"""What connecting and subscribing cost in queries, and that every check survived the cut.

A cookie socket reads its session and its user (two queries); a ticket socket, its user
with the token the ticket came through (one), or nothing when the ticket carries a
recent admission (its issuer's read), besides the cache. The check after the
socket has joined its groups (``credential_alive``) reads the cache's end marks and no
row. Subscribing reads the board (one query), or the board and the missed events (two).
The socket tier's reads run on a small pool of threads (``realtime.db.db_read``), which
holds at most one connection per thread and leaves none open that it should close.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

import realtime.auth
import realtime.consumers
import realtime.delivery
from accounts import revocations
from accounts.tickets import ticket_issue
from collab.exceptions import NotFound
from collab.models import Card
from collab.services.tokens import token_revoke
from collab.services.users import session_ticket_ref, user_set_active
from project.asgi import application
from realtime import db
from realtime.auth import CHECKED_AT, session_user
from realtime.replay import board_heads, card_on_board, missed_between, replay_since
from tests.conftest import Team
from tests.factories import PASSWORD, make_card, make_token, make_user
from tests.realtime.sockets import close, receive

Scope = dict[str, Any]


def _on_this_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    return sync_to_async(function, thread_sensitive=True)


def _sync(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a socket-tier coroutine from a test, its pool reads in the test's transaction."""

    def call(*args: Any) -> Any:
        with mock.patch.object(realtime.auth, "db_read", _on_this_thread):
            return async_to_sync(function)(*args)

    return call


credential_alive = _sync(realtime.auth.credential_alive)
ticket_socket_user = _sync(realtime.auth.ticket_socket_user)


def _login(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _session_key(client: APIClient) -> str:
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def _store(key: str | None) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def _session_scope(key: str) -> Scope:
    """Authenticate as the middleware does, and return the scope it hands on."""
    session = _store(key)
    user, checked_at = session_user(session)
    return {"auth": "session", "session": session, "user": user, CHECKED_AT: checked_at}


def _ticket_scope(ticket: str) -> Scope:
    user, claim, checked_at = ticket_socket_user(ticket)
    scope: Scope = {"auth": "ticket", "user": user, CHECKED_AT: checked_at}
    if claim is not None:
        scope["credential"] = {"token": claim.token_id, "session": claim.session}
    return scope


# Connect: the middleware's reads and the check after the join.


@pytest.mark.django_db
def test_a_session_socket_reads_its_session_and_its_user(
    team: Team, django_assert_num_queries: Any
) -> None:
    key = _session_key(_login(team.member))
    with django_assert_num_queries(2):
        scope = _session_scope(key)
    assert scope["user"] == team.member
    with django_assert_num_queries(0):
        assert credential_alive(scope)


@pytest.mark.django_db
def test_a_token_ticket_socket_reads_its_user_and_token_in_one_query(
    team: Team, django_assert_num_queries: Any
) -> None:
    token, _ = make_token(team.member)
    ticket = ticket_issue(team.member.pk, token_id=token.pk)
    with django_assert_num_queries(1):
        scope = _ticket_scope(ticket)
    assert scope["user"] == team.member
    assert scope["credential"] == {"token": token.pk, "session": None}
    with django_assert_num_queries(0):
        assert credential_alive(scope)


@pytest.mark.django_db
def test_a_ticket_with_a_recent_admission_reads_nothing(
    team: Team, django_assert_num_queries: Any
) -> None:
    token, _ = make_token(team.member)
    ticket = ticket_issue(team.member.pk, token_id=token.pk, user=team.member)
    with django_assert_num_queries(0):
        scope = _ticket_scope(ticket)
        assert credential_alive(scope)
    user = scope["user"]
    assert (user.pk, user.username, user.is_active) == (team.member.pk, "member", True)
    assert scope["credential"] == {"token": token.pk, "session": None}
    with django_assert_num_queries(1):  # any other field is read on first use
        assert user.email == team.member.email


@pytest.mark.django_db
def test_an_admission_past_the_trust_window_or_token_expiry_asks_the_database(
    team: Team, django_assert_num_queries: Any
) -> None:
    token, _ = make_token(team.member)
    with mock.patch("time.time", return_value=time.time() - revocations.TRUST_SECONDS - 1):
        old = ticket_issue(team.member.pk, token_id=token.pk, user=team.member)
    with django_assert_num_queries(1):
        assert _ticket_scope(old)["user"] == team.member
    expiring = ticket_issue(
        team.member.pk, token_id=token.pk, user=team.member, token_expires_at=timezone.now()
    )
    type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now())
    with django_assert_num_queries(1):
        assert not _ticket_scope(expiring)["user"].is_authenticated


@pytest.mark.django_db
def test_a_revocation_after_an_admission_is_seen_at_the_join(
    team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    moderator = make_user("root", is_superuser=True)
    token, _ = make_token(team.member)
    scope = _ticket_scope(ticket_issue(team.member.pk, token_id=token.pk, user=team.member))
    with django_capture_on_commit_callbacks(execute=True):
        token_revoke(actor=team.member, token_id=token.pk)
    assert not credential_alive(scope)
    scope = _ticket_scope(ticket_issue(team.member.pk, user=team.member))
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)
    assert not credential_alive(scope)


@pytest.mark.django_db
def test_an_inactive_or_other_user_gets_no_admission(team: Team) -> None:
    assert "admitted" not in _ticket_value(ticket_issue(team.member.pk, user=team.viewer))
    team.member.is_active = False
    assert "admitted" not in _ticket_value(ticket_issue(team.member.pk, user=team.member))


def _ticket_value(ticket: str) -> Any:
    from django.core.cache import cache

    from accounts.tickets import _key

    return cache.get(_key(ticket))


@pytest.mark.django_db
def test_a_session_ticket_socket_reads_its_user(team: Team, django_assert_num_queries: Any) -> None:
    key = _session_key(_login(team.member))
    ticket = ticket_issue(team.member.pk, session=session_ticket_ref(key))
    with django_assert_num_queries(1):
        scope = _ticket_scope(ticket)
    assert scope["user"] == team.member
    with django_assert_num_queries(0):
        assert credential_alive(scope)


@pytest.mark.django_db
def test_past_the_trust_window_the_check_asks_the_database(
    team: Team, django_assert_num_queries: Any
) -> None:
    """A socket that took long to join its groups asks the database, not the marks."""
    session_scope = _session_scope(_session_key(_login(team.member)))
    token, _ = make_token(team.member)
    ticket_scope = _ticket_scope(ticket_issue(team.member.pk, token_id=token.pk))
    for scope in (session_scope, ticket_scope):
        scope[CHECKED_AT] -= revocations.TRUST_SECONDS + 1
    with django_assert_num_queries(2):  # the session row, the user
        assert credential_alive(session_scope)
    with django_assert_num_queries(1):  # the user with the token
        assert credential_alive(ticket_scope)


# Every check kept: suspended users, ended sessions, revoked tokens, the origin.


@pytest.mark.django_db
def test_a_suspended_users_session_and_tickets_admit_nobody(team: Team) -> None:
    key = _session_key(_login(team.member))
    ticket = ticket_issue(team.member.pk)
    type(team.member).objects.filter(pk=team.member.pk).update(is_active=False)
    assert not _session_scope(key)["user"].is_authenticated
    assert not _ticket_scope(ticket)["user"].is_authenticated


@pytest.mark.django_db
def test_a_session_of_an_old_password_or_logged_out_admits_nobody(team: Team) -> None:
    stale = _session_key(_login(team.member))
    team.member.set_password(PASSWORD + "-new")
    team.member.save()
    assert not _session_scope(stale)["user"].is_authenticated
    client = _login(team.member)
    key = _session_key(client)
    client.logout()
    assert not _session_scope(key)["user"].is_authenticated
    assert not _session_scope("no-such-session-key")["user"].is_authenticated


@pytest.mark.django_db
def test_a_revoked_or_expired_token_ticket_admits_nobody(team: Team) -> None:
    token, _ = make_token(team.member)
    ticket = ticket_issue(team.member.pk, token_id=token.pk)
    type(token).objects.filter(pk=token.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert not _ticket_scope(ticket)["user"].is_authenticated
    other, _ = make_token(team.member)
    ticket = ticket_issue(team.member.pk, token_id=other.pk)
    token_revoke(actor=team.member, token_id=other.pk)
    assert not _ticket_scope(ticket)["user"].is_authenticated
    stolen = ticket_issue(team.viewer.pk, token_id=token.pk)  # another user's token
    assert not _ticket_scope(stolen)["user"].is_authenticated


@pytest.mark.django_db
def test_a_logout_between_authentication_and_the_join_is_seen(team: Team) -> None:
    client = _login(team.member)
    scope = _session_scope(_session_key(client))
    response = client.post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert not credential_alive(scope)


@pytest.mark.django_db
def test_a_revocation_between_authentication_and_the_join_is_seen(
    team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    token, _ = make_token(team.member)
    scope = _ticket_scope(ticket_issue(team.member.pk, token_id=token.pk))
    with django_capture_on_commit_callbacks(execute=True):
        token_revoke(actor=team.member, token_id=token.pk)
    assert not credential_alive(scope)


@pytest.mark.django_db
def test_a_suspension_between_authentication_and_the_join_is_seen_and_lifted(
    team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    moderator = make_user("root", is_superuser=True)
    session_scope = _session_scope(_session_key(_login(team.member)))
    ticket_scope = _ticket_scope(ticket_issue(team.member.pk))
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=False)
    assert not credential_alive(session_scope)
    assert not credential_alive(ticket_scope)
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(actor=moderator, user_id=team.member.pk, active=True)
    assert credential_alive(_ticket_scope(ticket_issue(team.member.pk)))


@pytest.mark.django_db
def test_with_the_cache_down_the_check_asks_the_database(
    team: Team, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    token, _ = make_token(team.member)
    scope = _ticket_scope(ticket_issue(team.member.pk, token_id=token.pk))
    session_scope = _session_scope(_session_key(_login(team.member)))

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    async def down_async(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr(revocations.cache, "get_many", down)
    monkeypatch.setattr(revocations.cache, "aget_many", down_async)
    assert credential_alive(scope)
    assert credential_alive(session_scope)
    monkeypatch.setattr(revocations.cache, "set", down)  # no mark can be left either
    with django_capture_on_commit_callbacks(execute=True):
        token_revoke(actor=team.member, token_id=token.pk)
    assert not credential_alive(scope)
    _store(session_scope["session"].session_key).delete()
    assert not credential_alive(session_scope)


def test_a_scope_without_a_user_is_never_alive() -> None:
    assert not credential_alive({"auth": "ticket", "user": None})


# Subscribe and delivery reads.


@pytest.mark.django_db
def test_replay_costs_one_query_from_a_snapshot_and_two_from_a_seq(
    team: Team, django_assert_num_queries: Any
) -> None:
    make_card(team.member, team.todo, "one")
    make_card(team.member, team.todo, "two")
    head = type(team.board).objects.get(pk=team.board.pk).seq
    with django_assert_num_queries(1):
        replay = replay_since(team.member, team.board.pk, None)
    assert (replay.seq, replay.frames) == (head, [])
    with django_assert_num_queries(2):
        replay = replay_since(team.member, team.board.pk, head - 2)
    assert (replay.last_seq, len(replay.frames), replay.resync) == (head, 2, False)
    with django_assert_num_queries(2):
        assert replay_since(team.member, team.board.pk, head).frames == []


@pytest.mark.django_db
@pytest.mark.parametrize("since", [None, 0])
def test_replay_refuses_a_board_the_user_may_not_read(
    team: Team, since: int | None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1), pytest.raises(NotFound):
        replay_since(team.outsider, team.board.pk, since)


@pytest.mark.django_db
def test_gap_fill_heads_and_presence_checks_are_one_query_each(
    team: Team, django_assert_num_queries: Any
) -> None:
    card = make_card(team.member, team.todo, "one")
    make_card(team.member, team.todo, "two")
    head = type(team.board).objects.get(pk=team.board.pk).seq
    with django_assert_num_queries(1):
        assert [m.seq for m in missed_between(team.board.pk, head - 2, head + 1)] == [
            head - 1,
            head,
        ]
    with django_assert_num_queries(1):
        assert board_heads([team.board.pk, 0]) == {team.board.pk: head}
    with django_assert_num_queries(1):
        card_on_board(team.member, team.board.pk, card.pk)
    with django_assert_num_queries(1), pytest.raises(NotFound):
        card_on_board(team.outsider, team.board.pk, card.pk)


# The same, counted on the pool's threads through the real ASGI application.


@pytest.fixture
def pool_queries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record each ``db_read`` call of the socket tier with the queries it ran."""
    calls: list[tuple[str, int]] = []
    real = db.db_read

    def counting(function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with CaptureQueriesContext(connections["default"]) as queries:
                result = function(*args, **kwargs)
            calls.append((function.__name__, len(queries)))
            return result

        return real(counted)

    monkeypatch.setattr(realtime.auth, "db_read", counting)
    monkeypatch.setattr(realtime.consumers, "db_read", counting)
    monkeypatch.setattr(realtime.delivery, "db_read", counting)  # the replay (Delivery._follow)
    return calls


async def _subscribed(socket: WebsocketCommunicator, board: int, since: int | None) -> None:
    connected, code = await socket.connect(timeout=5)
    assert connected, code
    message: dict[str, Any] = {"type": "subscribe", "board": board}
    if since is not None:
        message["since"] = since
    await socket.send_json_to(message)
    assert (await receive(socket))["type"] == "subscribed"


@pytest.mark.django_db(transaction=True)
async def test_a_cookie_socket_connects_and_subscribes_in_three_queries(
    team: Team, pool_queries: list[tuple[str, int]]
) -> None:
    client = await database_sync_to_async(_login)(team.member)
    cookie = f"{settings.SESSION_COOKIE_NAME}={_session_key(client)}".encode()
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    await _subscribed(socket, team.board.pk, None)
    await close(socket)
    assert pool_queries == [("session_user", 2), ("replay_since", 1)]


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_socket_connects_and_replays_in_three_queries(
    team: Team, pool_queries: list[tuple[str, int]]
) -> None:
    def prepare() -> tuple[str, int]:
        token, _ = make_token(team.member)
        make_card(team.member, team.todo, "missed")
        seq = type(team.board).objects.get(pk=team.board.pk).seq
        return ticket_issue(team.member.pk, token_id=token.pk), seq

    ticket, seq = await database_sync_to_async(prepare)()
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await _subscribed(socket, team.board.pk, seq - 1)
    assert (await receive(socket))["seq"] == seq
    await close(socket)
    assert pool_queries == [("ticket_user", 1), ("replay_since", 2)]


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_socket_with_an_admission_connects_and_subscribes_in_one_query(
    team: Team, pool_queries: list[tuple[str, int]]
) -> None:
    def prepare() -> str:
        token, _ = make_token(team.member)
        return ticket_issue(team.member.pk, token_id=token.pk, user=team.member)

    ticket = await database_sync_to_async(prepare)()
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await _subscribed(socket, team.board.pk, None)
    await close(socket)
    assert pool_queries == [("replay_since", 1)]


# The pool: bounded threads and connections, none left open.


def _open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _read_in_pool() -> tuple[str, int]:
    """Return the thread and the database backend that served this read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    time.sleep(0.002)  # long enough for the calls to overlap
    return threading.current_thread().name, int(row[0]) if row else 0


@pytest.fixture
def persistent_connections() -> Iterator[None]:
    """Keep connections for a minute, as production does, then close the pool's."""
    database = connections.settings["default"]
    before = database["CONN_MAX_AGE"]
    database["CONN_MAX_AGE"] = 60
    try:
        yield
    finally:
        database["CONN_MAX_AGE"] = before
        db.close_pool_connections()


@pytest.mark.django_db(transaction=True)
async def test_the_pool_closes_what_it_must_and_holds_at_most_its_size() -> None:
    baseline = await database_sync_to_async(_open_connections)()
    served = await asyncio.gather(*(db.db_read(_read_in_pool)() for _ in range(100)))
    threads = {thread for thread, _ in served}
    assert 1 < len(threads) <= db.pool_size()
    assert all(thread.startswith("realtime-db") for thread in threads)
    # Connections that outlive CONN_MAX_AGE (0 in the tests) are closed after each call.
    assert await database_sync_to_async(_open_connections)() == baseline


@pytest.mark.django_db(transaction=True)
async def test_the_pool_reuses_persistent_connections(persistent_connections: None) -> None:
    first = await asyncio.gather(*(db.db_read(_read_in_pool)() for _ in range(100)))
    again = await asyncio.gather(*(db.db_read(_read_in_pool)() for _ in range(100)))
    backends = {backend for _, backend in first}
    assert len(backends) <= db.pool_size()
    assert {backend for _, backend in again} <= backends  # reused, none opened anew
    assert len({(thread, backend) for thread, backend in [*first, *again]}) == len(backends)


def _checked_in_pool() -> tuple[str, bool]:
    """Return the thread, and whether its connection counts as checked before any query."""
    checked = bool(getattr(connection, "health_check_done", False))
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return threading.current_thread().name, checked


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trust", [1.0, 0.0])
async def test_a_connection_used_a_moment_ago_skips_the_health_check(
    persistent_connections: None, settings: Any, trust: float
) -> None:
    settings.REALTIME_DB_TRUST_SECONDS = trust
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"]
    db.close_pool_connections()  # every thread starts without a connection
    seen: set[str] = set()
    for _ in range(3 * db.pool_size()):
        thread, checked = await db.db_read(_checked_in_pool)()
        # A thread's first call opens (and so checks) a connection; later ones, used a
        # moment ago, skip the ping while trusted and are pinged otherwise.
        assert checked == (thread in seen and trust > 0)
        seen.add(thread)


@pytest.mark.django_db(transaction=True)
async def test_a_read_that_raises_reaches_the_caller(team: Team) -> None:
    with pytest.raises(NotFound):
        await db.db_read(replay_since)(team.outsider, team.board.pk, None)
    assert await db.db_read(Card.objects.count)() == 0
