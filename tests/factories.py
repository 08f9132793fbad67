"""Test data, built through the services so that events are recorded as in production."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from collab.models import Board, Card, Column, Comment, Membership, Role, Workspace
from collab.services.boards import board_create
from collab.services.cards import card_create
from collab.services.columns import column_create
from collab.services.comments import comment_create
from collab.services.tokens import token_create
from collab.services.workspaces import member_add, workspace_create

User = get_user_model()
_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(username: str | None = None, **extra: Any) -> Any:
    username = username or f"user{next(_counter)}"
    return User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **extra
    )


def make_workspace(owner: Any, name: str = "Team") -> Workspace:
    return workspace_create(actor=owner, name=name)


def add_member(workspace: Workspace, owner: Any, user: Any, role: str = Role.MEMBER) -> Membership:
    return member_add(actor=owner, workspace_id=workspace.pk, username=user.username, role=role)


def make_board(owner: Any, workspace: Workspace | None = None, title: str = "Board") -> Board:
    workspace = workspace or make_workspace(owner)
    return board_create(actor=owner, workspace_id=workspace.pk, title=title)


def make_column(actor: Any, board: Board, title: str = "To do") -> Column:
    return column_create(actor=actor, board_id=board.pk, title=title)


def make_card(actor: Any, column: Column, title: str = "Card", **extra: Any) -> Card:
    return card_create(actor=actor, column_id=column.pk, title=title, **extra)


def make_comment(actor: Any, card: Card, body: str = "Nice") -> Comment:
    return comment_create(actor=actor, card_id=card.pk, body=body)


def make_token(
    user: Any, scopes: tuple[str, ...] = ("read", "write"), name: str = "ci"
) -> tuple[ApiToken, str]:
    return token_create(actor=user, name=name, scopes=list(scopes))
