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
from typing import Any, TypeGuard

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import CharField, Q, QuerySet, Subquery, Value

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


class Unread:
    """The type of :data:`UNREAD`: a role not read yet (unlike ``None``, no role at all)."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = Unread()

_MIN_ROLE = {
    Action.READ: Role.VIEWER,
    Action.WRITE_CARDS: Role.MEMBER,
    Action.MANAGE_BOARD: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_WORKSPACE: Role.ADMIN,
    Action.DELETE_WORKSPACE: Role.OWNER,
    Action.MODERATE: Role.ADMIN,
}


# Where is_moderator keeps its answer on a user object (see there).
_MODERATOR_CACHE = "_corkboard_is_moderator"


def is_moderator(user: AnyUser) -> bool:
    """Return whether the user moderates the whole instance (the Moderators group).

    The same answer as ``user.has_perm("collab.moderate")`` with the model backend, in
    one query instead of loading every permission of the user and their groups (two),
    and none for superusers. The answer is kept on the user object, as Django keeps its
    permission cache: one request, or one socket, asks the database once; the next
    request or socket loads a new user object and asks again.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    cached = user.__dict__.get(_MODERATOR_CACHE)
    if cached is None:
        granted = Q(user__pk=user.pk) | Q(group__user__pk=user.pk)
        moderate = Permission.objects.filter(content_type__app_label="collab", codename="moderate")
        cached = moderate.filter(granted).order_by().exists()
        user.__dict__[_MODERATOR_CACHE] = cached
    return bool(cached)


def role_rank(role: str) -> int:
    """Return the rank of a role: higher ranks may do everything lower ones may."""
    return _RANK[Role(role)]


def role_in(user: AnyUser, workspace_id: int) -> Role | None:
    """Return the user's role in the workspace, or ``None`` for outsiders."""
    if not user.is_authenticated or not user.is_active:
        return None
    # No ordering: (workspace, user) is unique, and the default one joins the user table.
    roles = Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk).order_by()
    return as_role(next(iter(roles.values_list("role", flat=True)[:1]), None))


def as_role(value: str | None) -> Role | None:
    """Return a role read from the database (``None`` for no membership)."""
    return Role(value) if value else None


def role_of(user: AnyUser, workspace_id: Any) -> Subquery | Value:
    """Return an expression for the user's role in a workspace, to read with another row.

    ``workspace_id`` is an id, or ``OuterRef("board__workspace_id")`` for the workspace
    of each row of the query it is annotated on. A row read with it costs no query of
    its own for the role; :func:`as_role` turns the value read into a :class:`Role`.
    Outsiders, anonymous and suspended users read ``None``.
    """
    if not user.is_authenticated or not user.is_active:
        return Value(None, output_field=CharField())
    roles = Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk).order_by()
    return Subquery(roles.values("role")[:1], output_field=CharField())


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
    return require_role(role_in(user, workspace_id), action, not_found=not_found)


def require_role(role: Role | None, action: Action, *, not_found: str | None = None) -> Role:
    """Return ``role``, or raise NotFound (no role: an outsider) / Forbidden (too low)."""
    if role is None:
        raise NotFound(not_found)
    if not allows(role, action):
        raise Forbidden(f"Your role ({role.value}) does not allow this.")
    return role


def require_board_write(
    user: AnyUser,
    board: Board,
    action: Action,
    *,
    not_found: str = "Board not found.",
    role: Role | Unread | None = UNREAD,
) -> Role | None:
    """Like :func:`require`, and refuse writes to a locked board except by admins.

    Instance moderators hold :attr:`Action.MODERATE` on every board, where they may have
    no role (``None`` is returned then); moderation passes the lock, which is for it, and
    so does :attr:`Action.READ` (reporting), which changes nothing on the board.
    ``role`` is the user's role in the board's workspace when the caller has read it
    already (with :func:`role_of`, in the statement that followed the board lock);
    by default it is read here.
    """
    if isinstance(role, Unread):
        role = role_in(user, board.workspace_id)
    if action is Action.MODERATE and is_moderator(user):
        return role
    role = require_role(role, action, not_found=not_found)
    passes_lock = action in (Action.READ, Action.MODERATE)
    if board.locked and not passes_lock and _RANK[role] < _RANK[Role.ADMIN]:
        raise BoardLocked()
    return role


def reads_anything(user: AnyUser) -> TypeGuard[User]:
    """Return whether the user may read anything at all: signed in and not suspended."""
    return bool(user.is_authenticated and user.is_active)


def readable_workspaces(user: AnyUser) -> QuerySet[Workspace]:
    """Return the workspaces the user may read: those they are a member of."""
    if not reads_anything(user):
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk)


def readable_boards(user: AnyUser) -> QuerySet[Board]:
    """Return the boards the user may read: those of their workspaces (moderators too: no more).

    Every selector filters by this, so REST and sockets read the same rows.
    """
    return Board.objects.filter(workspace__in=readable_workspaces(user))
