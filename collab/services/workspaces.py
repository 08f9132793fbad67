"""Writes to workspaces and their memberships.

Each takes the workspace lock first, then the workspace's boards in id order
(``collab.services.guards`` documents the order), so that the checks on memberships
(the last owner, one membership per user) hold under any interleaving.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from collab.event_types import (
    BOARD_DELETED,
    CARD_UPDATED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    MEMBER_UPDATED,
    EventType,
)
from collab.events import record_event
from collab.exceptions import Conflict, Forbidden, NotFound
from collab.models import Board, Card, Membership, Role, Workspace
from collab.permissions import Action, AnyUser, role_rank
from collab.representations import CardSerializer, MemberSerializer
from collab.services.guards import boards_for_write, workspace_for_write
from collab.services.versioning import save_versioned
from collab.validation import clean_text, invalid

User = get_user_model()


def _broadcast(
    boards: list[Board], event: EventType, data: Mapping[str, object], actor: AnyUser
) -> None:
    """Record ``event`` on every board of the workspace (members are workspace-wide).

    ``boards`` come from :func:`boards_for_write`, locked.
    """
    for board in boards:
        record_event(board=board, event=event, data=data, actor=actor)


def _unassign(boards: list[Board], user_id: int, actor: AnyUser) -> None:
    """Take a departing member off the workspace's cards; each change is a card event.

    ``boards`` come from :func:`boards_for_write`, locked.
    """
    by_id = {board.pk: board for board in boards}
    cards = Card.objects.filter(board_id__in=by_id, assignees=user_id).order_by("board_id", "pk")
    for card in cards:
        card.board = by_id[card.board_id]
        card.assignees.remove(user_id)
        save_versioned(card, fields=[])
        record_event(
            board=card.board, event=CARD_UPDATED, data=CardSerializer(card).data, actor=actor
        )


def workspace_create(*, actor: AnyUser, name: str) -> Workspace:
    """Create a workspace owned by ``actor``."""
    if not actor.is_authenticated:
        raise Forbidden()
    name = clean_text(name, field="name", max_length=100)
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, created_by=actor)
        Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    workspace.role = Role.OWNER.value  # type: ignore[attr-defined]
    return workspace


def workspace_update(*, actor: AnyUser, workspace_id: int, name: str) -> Workspace:
    """Rename a workspace (admins and owners)."""
    name = clean_text(name, field="name", max_length=100)
    with transaction.atomic():
        workspace, role = workspace_for_write(actor, workspace_id, Action.MANAGE_WORKSPACE)
        workspace.name = name
        workspace.save(update_fields=["name"])
    workspace.role = role.value  # type: ignore[attr-defined]
    return workspace


def workspace_delete(*, actor: AnyUser, workspace_id: int) -> None:
    """Delete a workspace and all its boards (owners only); subscribers are told."""
    with transaction.atomic():
        workspace, _ = workspace_for_write(actor, workspace_id, Action.DELETE_WORKSPACE)
        for board in boards_for_write(workspace_id):
            record_event(board=board, event=BOARD_DELETED, data={"id": board.pk}, actor=actor)
        workspace.delete()


def _check_role_change(actor_role: Role, old: Role | None, new: Role | None) -> None:
    """Admins manage members and viewers; only owners grant, change or remove owners."""
    touches_owner = Role.OWNER in (old, new)
    if touches_owner and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can grant, change or remove the owner role.")
    for role in (old, new):
        if role is not None and role_rank(role) > role_rank(actor_role):
            raise Forbidden("You cannot manage a role above your own.")


def _ensure_another_owner(workspace_id: int, user_id: int) -> None:
    """Refuse to take the owner role from ``user_id`` if nobody else has it.

    Call under the workspace lock: every change of memberships holds it, so the answer
    stays true until the commit.
    """
    others = Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).exclude(
        user_id=user_id
    )
    if not others.exists():
        raise Conflict("A workspace must keep at least one owner.")


def _clean_role(role: object) -> Role:
    if role not in Role.values:
        raise invalid("role", f"Must be one of: {', '.join(Role.values)}.")
    return Role(str(role))


def _already_a_member() -> Conflict:
    return Conflict("This user is already a member.", detail={"username": ["Already a member."]})


def member_add(*, actor: AnyUser, workspace_id: int, username: str, role: str) -> Membership:
    """Add an existing user to the workspace with ``role``."""
    new_role = _clean_role(role)
    with transaction.atomic():
        _, actor_role = workspace_for_write(actor, workspace_id, Action.MANAGE_MEMBERS)
        _check_role_change(actor_role, None, new_role)
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise invalid("username", "No active user has this username.")
        if Membership.objects.filter(workspace_id=workspace_id, user=user).exists():
            raise _already_a_member()
        boards = boards_for_write(workspace_id)
        try:
            # The workspace lock serialises adds; the constraint is the last word anyway.
            with transaction.atomic():
                membership = Membership.objects.create(
                    workspace_id=workspace_id, user=user, role=new_role
                )
        except IntegrityError as error:
            if "membership_unique_user" in str(error):
                raise _already_a_member() from error
            raise
        _broadcast(boards, MEMBER_ADDED, MemberSerializer(membership).data, actor)
    return membership


def _membership(workspace_id: int, user_id: int) -> Membership:
    """Return a membership; call under the workspace lock, which guards memberships."""
    membership = (
        Membership.objects.select_related("user")
        .filter(workspace_id=workspace_id, user_id=user_id)
        .first()
    )
    if membership is None:
        raise NotFound("Member not found.")
    return membership


def member_update(*, actor: AnyUser, workspace_id: int, user_id: int, role: str) -> Membership:
    """Change a member's role; a workspace always keeps an owner."""
    new_role = _clean_role(role)
    with transaction.atomic():
        _, actor_role = workspace_for_write(actor, workspace_id, Action.MANAGE_MEMBERS)
        membership = _membership(workspace_id, user_id)
        old_role = Role(membership.role)
        _check_role_change(actor_role, old_role, new_role)
        if old_role == Role.OWNER and new_role != Role.OWNER:
            _ensure_another_owner(workspace_id, user_id)
        boards = boards_for_write(workspace_id)
        membership.role = new_role
        membership.save(update_fields=["role"])
        _broadcast(boards, MEMBER_UPDATED, MemberSerializer(membership).data, actor)
    return membership


def member_remove(*, actor: AnyUser, workspace_id: int, user_id: int) -> None:
    """Remove a member; anyone may leave, admins remove others; an owner always stays."""
    leaving = actor.is_authenticated and actor.pk == user_id
    with transaction.atomic():
        _, actor_role = workspace_for_write(
            actor, workspace_id, Action.READ if leaving else Action.MANAGE_MEMBERS
        )
        membership = _membership(workspace_id, user_id)
        if not leaving:
            _check_role_change(actor_role, Role(membership.role), None)
        if membership.role == Role.OWNER:
            _ensure_another_owner(workspace_id, user_id)
        boards = boards_for_write(workspace_id)
        membership.delete()
        _broadcast(boards, MEMBER_REMOVED, {"id": user_id}, actor)
        # Assignees must be members: cards let go of the one who left.
        _unassign(boards, user_id, actor)
