"""Workspace and member services: the owner rules, validation, and members leaving cards."""

from __future__ import annotations

from typing import Any

import pytest

from collab.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from collab.models import Board, Card, Event, Membership, Role, Workspace
from collab.representations import CardSerializer, represent
from collab.services.cards import card_archive
from collab.services.workspaces import (
    member_add,
    member_remove,
    member_update,
    workspace_create,
    workspace_delete,
    workspace_update,
)
from tests.collab.conftest import Published, refused
from tests.conftest import Team
from tests.factories import add_member, make_board, make_card, make_column, make_user


def _role(team: Team, user: Any) -> str | None:
    return (
        Membership.objects.filter(workspace=team.workspace, user=user)
        .values_list("role", flat=True)
        .first()
    )


def test_create_makes_the_creator_owner(db: None) -> None:
    user = make_user()
    workspace = workspace_create(actor=user, name="  Ops ")
    assert workspace.name == "Ops"
    assert list(workspace.memberships.values_list("user_id", "role")) == [(user.pk, "owner")]


@pytest.mark.parametrize("name", ["", "x" * 101, "a\x00"], ids=repr)
def test_names_are_validated(team: Team, name: str) -> None:
    with refused(ValidationFailed, field="name"):
        workspace_create(actor=team.owner, name=name)
    with refused(ValidationFailed, field="name"):
        workspace_update(actor=team.admin, workspace_id=team.workspace.pk, name=name)


def test_member_input_is_validated(team: Team, published: list[Published]) -> None:
    newcomer = make_user()
    bad_roles: list[Any] = ["superuser", "", None, "OWNER"]
    for role in bad_roles:
        with refused(ValidationFailed, field="role", published=published):
            member_add(
                actor=team.admin,
                workspace_id=team.workspace.pk,
                username=newcomer.username,
                role=role,
            )
        with refused(ValidationFailed, field="role", published=published):
            member_update(
                actor=team.admin, workspace_id=team.workspace.pk, user_id=team.member.pk, role=role
            )
    with refused(ValidationFailed, field="username"):
        member_add(
            actor=team.admin, workspace_id=team.workspace.pk, username="nobody", role="member"
        )
    suspended = make_user(is_active=False)
    with refused(ValidationFailed, field="username"):
        member_add(
            actor=team.admin,
            workspace_id=team.workspace.pk,
            username=suspended.username,
            role="member",
        )
    with refused(Conflict):
        member_add(
            actor=team.admin,
            workspace_id=team.workspace.pk,
            username=team.viewer.username,
            role="member",
        )
    with refused(NotFound):
        member_update(
            actor=team.admin,
            workspace_id=team.workspace.pk,
            user_id=team.outsider.pk,
            role="member",
        )


def test_admins_cannot_grant_change_or_remove_owners(team: Team) -> None:
    newcomer = make_user()
    with refused(Forbidden):
        member_add(
            actor=team.admin,
            workspace_id=team.workspace.pk,
            username=newcomer.username,
            role="owner",
        )
    with refused(Forbidden):
        member_update(
            actor=team.admin, workspace_id=team.workspace.pk, user_id=team.member.pk, role="owner"
        )
    with refused(Forbidden):
        member_update(
            actor=team.admin, workspace_id=team.workspace.pk, user_id=team.admin.pk, role="owner"
        )
    with refused(Forbidden):
        member_update(
            actor=team.admin, workspace_id=team.workspace.pk, user_id=team.owner.pk, role="admin"
        )
    with refused(Forbidden):
        member_remove(actor=team.admin, workspace_id=team.workspace.pk, user_id=team.owner.pk)
    # Admins do manage everyone below owner, other admins included.
    member_update(
        actor=team.admin, workspace_id=team.workspace.pk, user_id=team.viewer.pk, role="admin"
    )
    member_update(
        actor=team.admin, workspace_id=team.workspace.pk, user_id=team.viewer.pk, role="member"
    )
    assert _role(team, team.viewer) == "member"


def test_the_last_owner_can_neither_leave_nor_be_demoted(team: Team) -> None:
    with refused(Conflict):
        member_remove(actor=team.owner, workspace_id=team.workspace.pk, user_id=team.owner.pk)
    with refused(Conflict):
        member_update(
            actor=team.owner, workspace_id=team.workspace.pk, user_id=team.owner.pk, role="admin"
        )
    member_update(
        actor=team.owner, workspace_id=team.workspace.pk, user_id=team.admin.pk, role="owner"
    )
    member_update(
        actor=team.admin, workspace_id=team.workspace.pk, user_id=team.owner.pk, role="member"
    )
    with refused(Conflict):
        member_remove(actor=team.admin, workspace_id=team.workspace.pk, user_id=team.admin.pk)
    assert _role(team, team.owner) == "member"
    assert Membership.objects.filter(workspace=team.workspace, role=Role.OWNER).count() == 1


def test_anyone_may_leave_but_only_admins_remove_others(team: Team) -> None:
    with refused(Forbidden):
        member_remove(actor=team.member, workspace_id=team.workspace.pk, user_id=team.viewer.pk)
    member_remove(actor=team.viewer, workspace_id=team.workspace.pk, user_id=team.viewer.pk)
    assert _role(team, team.viewer) is None
    with refused(NotFound):
        member_remove(actor=team.viewer, workspace_id=team.workspace.pk, user_id=team.viewer.pk)


def test_a_member_who_leaves_is_taken_off_cards(team: Team) -> None:
    second = make_board(team.owner, team.workspace, "Second")
    other_workspace = make_board(team.owner, title="Elsewhere")
    add_member(other_workspace.workspace, team.owner, team.member)
    here = make_card(team.admin, team.todo, "Here", assignees=[team.member.pk, team.admin.pk])
    archived = make_card(team.admin, team.done, "Archived", assignees=[team.member.pk])
    card_archive(actor=team.admin, card_id=archived.pk)
    untouched = make_card(team.admin, team.todo, "Untouched", assignees=[team.admin.pk])
    there = make_card(
        team.owner, make_column(team.owner, other_workspace), "There", assignees=[team.member.pk]
    )
    seqs = {b.pk: b.seq for b in Board.objects.filter(workspace=team.workspace)}

    member_remove(actor=team.admin, workspace_id=team.workspace.pk, user_id=team.member.pk)

    assert list(Card.objects.get(pk=here.pk).assignees.values_list("pk", flat=True)) == [
        team.admin.pk
    ]
    assert not Card.objects.get(pk=archived.pk).assignees.exists()
    assert Card.objects.get(pk=untouched.pk).version == 1
    assert list(Card.objects.get(pk=there.pk).assignees.values_list("pk", flat=True)) == [
        team.member.pk
    ]
    events = list(
        Event.objects.filter(board=team.board, seq__gt=seqs[team.board.pk]).order_by("seq")
    )
    assert [e.event for e in events] == ["member.removed", "card.updated", "card.updated"]
    for event in events[1:]:
        assert event.data == represent(CardSerializer, Card.objects.get(pk=event.data["id"]))
        assert event.data["version"] == (3 if event.data["id"] == archived.pk else 2)
    assert list(
        Event.objects.filter(board=second, seq__gt=seqs[second.pk]).values_list("event", flat=True)
    ) == ["member.removed"]


def test_delete_tells_every_board(
    team: Team, published: list[Published], django_capture_on_commit_callbacks: Any
) -> None:
    second = make_board(team.owner, team.workspace, "Second")
    with refused(Forbidden):
        workspace_delete(actor=team.admin, workspace_id=team.workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        workspace_delete(actor=team.owner, workspace_id=team.workspace.pk)
    assert sorted((p.board_id, p.frame["event"], p.frame["data"]) for p in published) == sorted(
        [
            (team.board.pk, "board.deleted", {"id": team.board.pk}),
            (second.pk, "board.deleted", {"id": second.pk}),
        ]
    )
    assert not Workspace.objects.filter(pk=team.workspace.pk).exists()
    assert not Board.objects.filter(workspace_id=team.workspace.pk).exists()
