"""The role rules, alone and as every service applies them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import transaction

from collab.exceptions import BoardLocked, CorkboardError, Forbidden, NotFound
from collab.models import Board, Card, Label, Role
from collab.permissions import (
    Action,
    allows,
    is_moderator,
    require,
    require_board_write,
    role_in,
)
from collab.services.boards import board_create, board_delete, board_set_locked, board_update
from collab.services.cards import card_archive, card_create, card_delete, card_move, card_update
from collab.services.columns import column_create, column_delete, column_move, column_update
from collab.services.comments import (
    comment_create,
    comment_delete,
    comment_set_hidden,
    comment_update,
)
from collab.services.labels import label_create, label_delete, label_update
from collab.services.reports import report_create
from collab.services.workspaces import (
    member_add,
    member_remove,
    member_update,
    workspace_delete,
    workspace_update,
)
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import add_member, make_card, make_comment, make_user

ROLES = ["owner", "admin", "member", "viewer", "outsider"]


ALLOWED = {
    "owner": set(Action),
    "admin": set(Action) - {Action.DELETE_WORKSPACE},
    "member": {Action.READ, Action.WRITE_CARDS},
    "viewer": {Action.READ},
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("action", list(Action))
def test_allows_ranks_roles(role: str, action: Action) -> None:
    assert allows(Role(role), action) is (action in ALLOWED[role])
    assert allows(None, action) is False


def test_role_in_knows_only_active_members(team: Team) -> None:
    assert role_in(team.owner, team.workspace.pk) == Role.OWNER
    assert role_in(team.viewer, team.workspace.pk) == Role.VIEWER
    assert role_in(team.outsider, team.workspace.pk) is None
    assert role_in(AnonymousUser(), team.workspace.pk) is None
    team.member.is_active = False
    assert role_in(team.member, team.workspace.pk) is None


def test_require_hides_what_outsiders_cannot_know(team: Team) -> None:
    with pytest.raises(NotFound):
        require(team.outsider, team.workspace.pk, Action.READ)
    with pytest.raises(NotFound):
        require(AnonymousUser(), team.workspace.pk, Action.READ)
    with pytest.raises(Forbidden):
        require(team.viewer, team.workspace.pk, Action.WRITE_CARDS)
    assert require(team.member, team.workspace.pk, Action.WRITE_CARDS) == Role.MEMBER


def test_locked_board_refuses_writes_below_admin(team: Team) -> None:
    board = Board(pk=team.board.pk, workspace_id=team.workspace.pk, locked=True)
    with pytest.raises(BoardLocked):
        require_board_write(team.member, board, Action.WRITE_CARDS)
    with pytest.raises(Forbidden):
        require_board_write(team.viewer, board, Action.WRITE_CARDS)
    with pytest.raises(NotFound):
        require_board_write(team.outsider, board, Action.WRITE_CARDS)
    assert require_board_write(team.admin, board, Action.WRITE_CARDS) == Role.ADMIN
    assert require_board_write(team.owner, board, Action.MANAGE_BOARD) == Role.OWNER


def test_moderators_are_the_group_with_the_permission(team: Team) -> None:
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.add(Permission.objects.get(codename="moderate"))
    mod = make_user("mod")
    assert not is_moderator(mod)
    mod.groups.add(moderators)
    mod = type(mod).objects.get(pk=mod.pk)  # permissions are cached per instance
    assert is_moderator(mod)
    mod.is_active = False
    assert not is_moderator(mod)
    assert not is_moderator(AnonymousUser())


@dataclass
class Objects:
    """What an operation acts on, created before the refusal is measured."""

    card: Card
    label: Label
    newcomer: Any
    extra: Any  # a viewer other than the team's, so that nobody acts on themselves


Operation = Callable[[Team, Objects, Any], Any]

OPERATIONS: dict[str, tuple[Operation, str]] = {
    # name: (call, lowest role allowed)
    "card_create": (
        lambda t, o, u: card_create(actor=u, column_id=t.todo.pk, title="New"),
        "member",
    ),
    "card_update": (
        lambda t, o, u: card_update(actor=u, card_id=o.card.pk, title="Renamed"),
        "member",
    ),
    "card_move": (
        lambda t, o, u: card_move(actor=u, card_id=o.card.pk, column_id=t.done.pk),
        "member",
    ),
    "card_archive": (lambda t, o, u: card_archive(actor=u, card_id=o.card.pk), "member"),
    "card_delete": (lambda t, o, u: card_delete(actor=u, card_id=o.card.pk), "member"),
    "comment_create": (
        lambda t, o, u: comment_create(actor=u, card_id=o.card.pk, body="Hi"),
        "member",
    ),
    "column_create": (
        lambda t, o, u: column_create(actor=u, board_id=t.board.pk, title="New"),
        "admin",
    ),
    "column_update": (
        lambda t, o, u: column_update(actor=u, column_id=t.todo.pk, title="New"),
        "admin",
    ),
    "column_move": (
        lambda t, o, u: column_move(actor=u, column_id=t.todo.pk, after=t.done.pk),
        "admin",
    ),
    "column_delete": (lambda t, o, u: column_delete(actor=u, column_id=t.done.pk), "admin"),
    "label_create": (
        lambda t, o, u: label_create(actor=u, board_id=t.board.pk, name="New"),
        "admin",
    ),
    "label_update": (
        lambda t, o, u: label_update(actor=u, label_id=o.label.pk, color="#000000"),
        "admin",
    ),
    "label_delete": (lambda t, o, u: label_delete(actor=u, label_id=o.label.pk), "admin"),
    "board_create": (
        lambda t, o, u: board_create(actor=u, workspace_id=t.workspace.pk, title="New"),
        "admin",
    ),
    "board_update": (
        lambda t, o, u: board_update(actor=u, board_id=t.board.pk, title="New"),
        "admin",
    ),
    "board_lock": (
        lambda t, o, u: board_set_locked(actor=u, board_id=t.board.pk, locked=True),
        "admin",
    ),
    "board_delete": (lambda t, o, u: board_delete(actor=u, board_id=t.board.pk), "admin"),
    "member_add": (
        lambda t, o, u: member_add(
            actor=u, workspace_id=t.workspace.pk, username=o.newcomer.username, role="member"
        ),
        "admin",
    ),
    "member_update": (
        lambda t, o, u: member_update(
            actor=u, workspace_id=t.workspace.pk, user_id=o.extra.pk, role="member"
        ),
        "admin",
    ),
    "member_remove": (
        lambda t, o, u: member_remove(actor=u, workspace_id=t.workspace.pk, user_id=o.extra.pk),
        "admin",
    ),
    "workspace_update": (
        lambda t, o, u: workspace_update(actor=u, workspace_id=t.workspace.pk, name="New"),
        "admin",
    ),
    "workspace_delete": (
        lambda t, o, u: workspace_delete(actor=u, workspace_id=t.workspace.pk),
        "owner",
    ),
    "report_create": (
        lambda t, o, u: report_create(
            actor=u, target_type="card", target_id=o.card.pk, reason="Spam"
        ),
        "viewer",
    ),
    "comment_hide": (
        lambda t, o, u: comment_set_hidden(actor=u, comment_id=_comment(o).pk, hidden=True),
        "admin",
    ),
}

_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}


def _comment(objects: Objects) -> Any:
    return objects.card.comments.get()


def _objects(team: Team) -> Objects:
    card = make_card(team.member, team.todo, "Existing")
    make_comment(team.member, card, "Existing")
    return Objects(
        card=card,
        label=label_create(actor=team.owner, board_id=team.board.pk, name="Existing"),
        newcomer=make_user(),
        extra=add_member(team.workspace, team.owner, make_user(), Role.VIEWER).user,
    )


def _expected_error(role: str, lowest: str, *, locked: bool = False) -> type[CorkboardError] | None:
    if role == "outsider":
        return NotFound
    if _RANK[role] < _RANK[lowest]:
        return Forbidden
    if locked and _RANK[role] < _RANK["admin"]:
        return BoardLocked
    return None


BOARD_WRITES = [
    name for name in OPERATIONS if not name.startswith(("member_", "workspace_", "board_create"))
]


class _Rollback(Exception):
    """Undo one role's attempt, so that every role starts from the same state."""


def _check_roles(
    team: Team, operation: str, published: list[Published], capture: Any, *, locked: bool
) -> None:
    call, lowest = OPERATIONS[operation]
    objects = _objects(team)
    if locked:
        board_set_locked(actor=team.admin, board_id=team.board.pk, locked=True)
    for role in ROLES:
        # Reports are not writes to the board: readers may still report a locked board.
        error = _expected_error(role, lowest, locked=locked and operation != "report_create")
        try:
            with pytest.raises(_Rollback), transaction.atomic():
                if error is None:
                    call(team, objects, team.user(role))
                else:
                    with capture(execute=True), refused(error, published=published):
                        call(team, objects, team.user(role))
                raise _Rollback
        except (AssertionError, pytest.fail.Exception, CorkboardError) as failure:
            raise AssertionError(f"{operation} as {role}: {failure!r}") from failure


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_role_matrix(
    operation: str, team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    _check_roles(team, operation, published, django_capture_on_commit_callbacks, locked=False)


@pytest.mark.parametrize("operation", BOARD_WRITES)
def test_locked_board_matrix(
    operation: str, team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    _check_roles(team, operation, published, django_capture_on_commit_callbacks, locked=True)


def test_missing_objects_are_not_found_for_everyone(team: Team) -> None:
    for call in (
        lambda: card_update(actor=team.owner, card_id=10**9, title="x"),
        lambda: card_create(actor=team.owner, column_id=10**9, title="x"),
        lambda: column_update(actor=team.owner, column_id=10**9, title="x"),
        lambda: label_delete(actor=team.owner, label_id=10**9),
        lambda: comment_update(actor=team.owner, comment_id=10**9, body="x"),
        lambda: board_update(actor=team.owner, board_id=10**9, title="x"),
        lambda: member_update(
            actor=team.owner,
            workspace_id=team.workspace.pk,
            user_id=team.outsider.pk,
            role="member",
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_anonymous_and_suspended_users_are_outsiders(team: Team) -> None:
    card = make_card(team.member, team.todo)
    comment = make_comment(team.admin, card)
    with refused(NotFound):
        card_update(actor=AnonymousUser(), card_id=card.pk, title="x")
    team.member.is_active = False
    with refused(NotFound):
        card_update(actor=team.member, card_id=card.pk, title="x")
    with refused(NotFound):
        comment_delete(actor=team.member, comment_id=comment.pk)
