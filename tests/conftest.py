"""Shared fixtures: real PostgreSQL and Redis, users in every role, API clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from collab.models import Board, Column, Role, Workspace
from tests.factories import (
    add_member,
    make_board,
    make_column,
    make_token,
    make_user,
    make_workspace,
)


@pytest.fixture(autouse=True)
def _clear_cache(settings: Any) -> None:
    """Start every test with empty throttles, tickets and presence of this run."""
    cache.clear() if "locmem" in settings.CACHES["default"]["BACKEND"] else _clear_redis(settings)


def _clear_redis(settings: Any) -> None:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for prefix in (
        settings.CACHES["default"]["KEY_PREFIX"],
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
    ):
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    layer_client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(layer_client.scan_iter(f"{settings.PRESENCE_PREFIX}:presence:*", count=1000))
    if keys:
        layer_client.delete(*keys)


@dataclass
class Team:
    """A workspace with one user in each role, an outsider, and a board with two columns."""

    owner: Any
    admin: Any
    member: Any
    viewer: Any
    outsider: Any
    workspace: Workspace
    board: Board
    todo: Column
    done: Column

    def user(self, role: str) -> Any:
        return getattr(self, role)


@pytest.fixture
def team(db: None) -> Team:
    owner = make_user("owner")
    workspace = make_workspace(owner, "Acme")
    users = {}
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        users[role.value] = make_user(role.value)
        add_member(workspace, owner, users[role.value], role)
    board = make_board(owner, workspace, "Roadmap")
    return Team(
        owner=owner,
        admin=users["admin"],
        member=users["member"],
        viewer=users["viewer"],
        outsider=make_user("outsider"),
        workspace=workspace,
        board=board,
        todo=make_column(owner, board, "To do"),
        done=make_column(owner, board, "Done"),
    )


@pytest.fixture
def api() -> APIClient:
    """An anonymous API client that enforces CSRF like a browser would."""
    return APIClient(enforce_csrf_checks=True)


def client_for(
    user: Any | None, *, token_scopes: tuple[str, ...] | None = ("read", "write")
) -> APIClient:
    """Return a client authenticated with a personal token of ``user`` (or anonymous)."""
    client = APIClient()
    if user is not None and token_scopes is not None:
        _, plaintext = make_token(user, token_scopes)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client
