"""Who may do what: the one set of role rules used by REST, sockets and the admin.

Roles rank viewer < member < admin < owner. Viewers read; members write cards and
comments; admins manage boards, columns, labels and members; owners everything.
A user who is not a member of the workspace is told the object does not exist.
"""

from __future__ import annotations

from enum import Enum

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from collab.exceptions import BoardLocked, Forbidden, NotFound
from collab.models import Board, Membership, Role

_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}

AnyUser = User | AnonymousUser


class Action(Enum):
    """What a caller wants to do, with the lowest role allowed to do it."""

    READ = Role.VIEWER
    WRITE_CARDS = Role.MEMBER  # cards, comments (reporting only needs READ)
    MANAGE_BOARD = Role.ADMIN  # boards, columns, labels, lock/unlock
    MANAGE_MEMBERS = Role.ADMIN
    MANAGE_WORKSPACE = Role.ADMIN  # rename
    DELETE_WORKSPACE = Role.OWNER


def is_moderator(user: AnyUser) -> bool:
    """Return whether the user moderates the whole instance (the Moderators group)."""
    return bool(user.is_active and user.has_perm("collab.moderate"))


def role_rank(role: str) -> int:
    """Return the rank of a role: higher ranks may do everything lower ones may."""
    return _RANK[Role(role)]


def role_in(user: AnyUser, workspace_id: int) -> Role | None:
    """Return the user's role in the workspace, or ``None`` for outsiders."""
    if not user.is_authenticated or not user.is_active:
        return None
    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role else None


def allows(role: Role | None, action: Action) -> bool:
    """Return whether ``role`` may perform ``action`` (pure, no queries)."""
    return role is not None and _RANK[role] >= _RANK[action.value]


def require(user: AnyUser, workspace_id: int, action: Action) -> Role:
    """Return the user's role, or raise NotFound (outsider) / Forbidden (too low)."""
    role = role_in(user, workspace_id)
    if role is None:
        raise NotFound()
    if not allows(role, action):
        raise Forbidden(f"Your role ({role.value}) does not allow this.")
    return role


def require_board_write(user: AnyUser, board: Board, action: Action) -> Role:
    """Like :func:`require`, and refuse writes to a locked board except by admins."""
    role = require(user, board.workspace_id, action)
    if board.locked and _RANK[role] < _RANK[Role.ADMIN]:
        raise BoardLocked()
    return role
