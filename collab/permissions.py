"""Who may do what: the one access rule used by REST, sockets, the admin and services.

Roles rank viewer < member < admin < owner. Viewers read; members write cards and
comments; admins manage boards, columns, labels and members; owners everything.
Instance moderators (the ``collab.moderate`` permission) hold :attr:`Action.MODERATE`
on every board and nothing else: they read no board they are not a member of (they
see reported content in the admin's report queue) and act through
``collab.services.moderation``, which audits every act.

A user who may not read an object is told it does not exist, with the same message
as for an id that exists nowhere (``"Card not found."`` whatever the reason), so that
ids of other workspaces cannot be told apart from missing ones.
"""

from __future__ import annotations

from enum import Enum

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from collab.exceptions import BoardLocked, Forbidden, NotFound
from collab.models import Board, Membership, Role, Workspace

_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}

AnyUser = User | AnonymousUser


class Action(Enum):
    """What a caller wants to do (the lowest role allowed is in :data:`_MIN_ROLE`)."""

    READ = "read"
    WRITE_CARDS = "write_cards"  # cards, comments (reporting only needs READ)
    MANAGE_BOARD = "manage_board"  # boards, columns, labels, lock/unlock
    MANAGE_MEMBERS = "manage_members"
    MANAGE_WORKSPACE = "manage_workspace"  # rename
    DELETE_WORKSPACE = "delete_workspace"
    # Hide comments, archive cards, lock boards as moderation: a board's admins on their
    # own boards, instance moderators on every board, locked or not.
    MODERATE = "moderate"


_MIN_ROLE = {
    Action.READ: Role.VIEWER,
    Action.WRITE_CARDS: Role.MEMBER,
    Action.MANAGE_BOARD: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_WORKSPACE: Role.ADMIN,
    Action.DELETE_WORKSPACE: Role.OWNER,
    Action.MODERATE: Role.ADMIN,
}


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
    return role is not None and _RANK[role] >= _RANK[_MIN_ROLE[action]]


def require(
    user: AnyUser, workspace_id: int, action: Action, *, not_found: str | None = None
) -> Role:
    """Return the user's role, or raise NotFound (outsider) / Forbidden (too low).

    ``not_found`` is the message of the object addressed (``"Card not found."``), the
    same one a missing id gets.
    """
    role = role_in(user, workspace_id)
    if role is None:
        raise NotFound(not_found)
    if not allows(role, action):
        raise Forbidden(f"Your role ({role.value}) does not allow this.")
    return role


def require_board_write(
    user: AnyUser, board: Board, action: Action, *, not_found: str = "Board not found."
) -> Role | None:
    """Like :func:`require`, and refuse writes to a locked board except by admins.

    Instance moderators hold :attr:`Action.MODERATE` on every board, where they may have
    no role (``None`` is returned then); moderation passes the lock, which is for it, and
    so does :attr:`Action.READ` (reporting), which changes nothing on the board.
    """
    if action is Action.MODERATE and is_moderator(user):
        return role_in(user, board.workspace_id)
    role = require(user, board.workspace_id, action, not_found=not_found)
    passes_lock = action in (Action.READ, Action.MODERATE)
    if board.locked and not passes_lock and _RANK[role] < _RANK[Role.ADMIN]:
        raise BoardLocked()
    return role


def readable_workspaces(user: AnyUser) -> QuerySet[Workspace]:
    """Return the workspaces the user may read: those they are a member of."""
    if not (user.is_authenticated and user.is_active):
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk)


def readable_boards(user: AnyUser) -> QuerySet[Board]:
    """Return the boards the user may read: those of their workspaces (moderators too: no more).

    Every selector filters by this, so REST and sockets read the same rows.
    """
    return Board.objects.filter(workspace__in=readable_workspaces(user))
