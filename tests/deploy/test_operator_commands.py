"""The runbook's operator commands: revoke_token and suspend_user go through the services.

Each command's effect is the service's: the socket opened with a revoked token's ticket
closes with 4410, a suspended user's with 4403, and a suspension is in the moderation log.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command

from accounts.models import ApiToken
from accounts.tickets import ticket_issue
from collab.models import ModerationAction, ModerationKind
from project.asgi import application
from tests.factories import make_token, make_user


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


async def _socket(user: Any, token: ApiToken | None = None) -> WebsocketCommunicator:
    """Open a ticket socket as ``user``, through ``token`` when given."""
    token_id = token.pk if token is not None else None
    ticket = await database_sync_to_async(ticket_issue)(user.pk, token_id=token_id)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def _close_code(socket: WebsocketCommunicator) -> int | None:
    """Return the code of the close frame the server sends next."""
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output.get("code")


def _revoked(token: ApiToken) -> bool:
    token.refresh_from_db()
    return token.revoked_at is not None


@pytest.mark.django_db(transaction=True)
async def test_revoke_token_closes_the_sockets_of_that_token_only(team):
    token, _ = await database_sync_to_async(make_token)(team.member)
    other, _ = await database_sync_to_async(make_token)(team.member)
    revoked_socket = await _socket(team.member, token)
    other_socket = await _socket(team.member, other)

    out = await database_sync_to_async(_run)("revoke_token", str(token.pk))

    assert out == f"Revoked token {token.pk}, {token}, of member.\n"
    assert await _close_code(revoked_socket) == 4410
    assert await other_socket.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(_revoked)(token)
    assert not await database_sync_to_async(_revoked)(other)
    await other_socket.disconnect()


@pytest.mark.parametrize("form", ["id", "prefix", "plaintext"])
def test_revoke_token_finds_the_token_by_id_prefix_or_leaked_value(db, form):
    token, plaintext = make_token(make_user("alice"))
    reference = {"id": str(token.pk), "prefix": token.prefix, "plaintext": plaintext}[form]
    _run("revoke_token", reference)
    assert _revoked(token)


def test_revoke_token_again_says_so_and_closes_its_sockets_again(
    db, django_capture_on_commit_callbacks
):
    token, _ = make_token(make_user("alice"))
    _run("revoke_token", str(token.pk))
    with django_capture_on_commit_callbacks() as callbacks:
        out = _run("revoke_token", str(token.pk))
    assert "(it was already revoked)" in out
    assert len(callbacks) == 1  # the service's disconnect of the token's sockets


def test_revoke_all_tokens_of_a_user(db):
    alice, bob = make_user("alice"), make_user("bob")
    tokens = [make_token(alice)[0] for _ in range(3)]
    kept, _ = make_token(bob)
    out = _run("revoke_token", "--all-for-user", "alice")
    assert out.count("Revoked token") == 3
    assert all(_revoked(token) for token in tokens)
    assert not _revoked(kept)
    assert _run("revoke_token", "--all-for-user", "alice") == "alice has no unrevoked tokens.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cbp_nothing",), "No token with the id, prefix or value 'cbp_nothing'."),
        (("999999",), "No token with the id, prefix or value '999999'."),
        (("--all-for-user", "nobody"), "No user named 'nobody'."),
        ((), "Name one token, or a user with --all-for-user (not both)."),
        (("1", "--all-for-user", "alice"), "Name one token, or a user with --all-for-user"),
    ],
    ids=["unknown-prefix", "unknown-id", "unknown-user", "neither", "both"],
)
def test_revoke_token_errors_are_clear(db, args, message):
    make_user("alice")
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _run("revoke_token", *args)


def test_revoke_token_refuses_an_ambiguous_prefix(db):
    first, _ = make_token(make_user("alice"))
    second, _ = make_token(make_user("bob"))
    # Two random 6-character prefixes collide about once in 6.9e10: make them.
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)
    with pytest.raises(CommandError, match="matches several tokens"):
        _run("revoke_token", first.prefix)
    assert not _revoked(first) and not _revoked(second)


@pytest.mark.django_db(transaction=True)
async def test_suspend_user_closes_their_sockets_and_logs_the_reason(team):
    await database_sync_to_async(make_user)("root", is_superuser=True, is_staff=True)
    socket = await _socket(team.member)
    bystander = await _socket(team.viewer)

    out = await database_sync_to_async(_run)("suspend_user", "member", "--reason", "Spam")

    assert out == "member is now suspended (recorded as by root).\n"
    assert await _close_code(socket) == 4403
    assert await bystander.receive_nothing(timeout=0.3)
    await database_sync_to_async(team.member.refresh_from_db)()
    assert not team.member.is_active
    action = await ModerationAction.objects.select_related("moderator").aget()
    assert (action.action, action.target_id, action.reason, action.moderator.username) == (
        ModerationKind.USER_SUSPEND,
        team.member.pk,
        "Spam",
        "root",
    )
    await bystander.disconnect()


def test_reactivate_user_as_a_named_moderator(db):
    make_user("root", is_superuser=True, is_staff=True)
    make_user("second-root", is_superuser=True, is_staff=True)
    user = make_user("alice")
    _run("suspend_user", "alice", "--reason", "Spam", "--as-user", "root")
    out = _run("suspend_user", "alice", "--reason", "Appeal", "--reactivate", "--as-user", "root")
    assert out == "alice is now active (recorded as by root).\n"
    user.refresh_from_db()
    assert user.is_active
    kinds = list(ModerationAction.objects.order_by("pk").values_list("action", "reason"))
    assert kinds == [
        (ModerationKind.USER_SUSPEND, "Spam"),
        (ModerationKind.USER_REACTIVATE, "Appeal"),
    ]


def test_suspending_a_suspended_user_does_nothing(db):
    make_user("root", is_superuser=True, is_staff=True)
    make_user("alice", is_active=False)
    assert _run("suspend_user", "alice", "--reason", "Spam") == (
        "alice is already suspended; nothing done.\n"
    )
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "--reason", "x"), "No user named 'nobody'."),
        (("alice", "--reason", "x", "--as-user", "nobody"), "No user named 'nobody'."),
        (("alice", "--reason", "x"), "Name the moderator the log records with --as-user"),
        (("alice", "--reason", "x", "--as-user", "bob"), "Only moderators can do this."),
        (("alice", "--reason", " ", "--as-user", "root"), "reason: May not be blank."),
    ],
    ids=["unknown-user", "unknown-moderator", "no-superuser", "not-a-moderator", "blank-reason"],
)
def test_suspend_user_errors_are_clear(db, args, message):
    make_user("alice")
    make_user("bob")
    if "root" in args:
        make_user("root", is_superuser=True, is_staff=True)
    with pytest.raises(CommandError, match=message):
        _run("suspend_user", *args)
    assert not ModerationAction.objects.exists()
