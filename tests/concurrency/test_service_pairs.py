"""Every pair of services that touch the same rows, run at the same moment: no deadlock.

Regression test for issue 7, defect 3: an admin changing a member's role while that
member created a card deadlocked (the role change locked the user row, the card's
event needed it, and boards were locked in another order), answering 500. Services
now lock in one order (``collab.services.guards``); whichever call goes first, the
other either succeeds or is refused with a domain error, never a database error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from collab.models import (
    Board,
    Card,
    Column,
    Comment,
    Label,
    Membership,
    Report,
    Role,
    Workspace,
)
from collab.services.boards import board_create, board_delete, board_set_locked, board_update
from collab.services.cards import card_archive, card_create, card_delete, card_move, card_update
from collab.services.columns import column_create, column_delete, column_move
from collab.services.comments import (
    comment_create,
    comment_delete,
    comment_react,
    comment_update,
)
from collab.services.labels import label_create, label_delete
from collab.services.moderation import (
    moderate_board_lock,
    moderate_card_archive,
    moderate_comment,
    moderate_user,
    report_dismiss,
)
from collab.services.reports import report_create
from collab.services.workspaces import (
    member_add,
    member_remove,
    member_update,
    workspace_delete,
    workspace_update,
)
from tests.concurrency.conftest import describe, run_together

pytestmark = pytest.mark.django_db(transaction=True)

REPEAT = 5
_names = itertools.count()


@dataclass
class World:
    """A workspace with two boards, a card with a label, an assignee and a comment."""

    owner: Any
    admin: Any
    member: Any
    newcomer: Any
    moderator: Any
    workspace: Workspace
    board: Board
    other_board: Board
    todo: Column
    done: Column
    card: Card
    other_card: Card
    label: Label
    comment: Comment
    report: Report


def _world() -> World:
    """Create the rows directly (no events needed): the pairs run many times, quickly."""
    n = next(_names)
    users = User.objects.bulk_create(
        User(username=f"{name}{n}", email=f"{name}{n}@example.com", is_staff=name == "mod")
        for name in ("owner", "admin", "member", "newcomer", "mod")
    )
    owner, admin, member, newcomer, moderator = users
    moderator.groups.add(_moderators())
    moderator = User.objects.get(pk=moderator.pk)  # fresh, without a stale permission cache
    workspace = Workspace.objects.create(name=f"Team {n}", created_by=owner)
    Membership.objects.bulk_create(
        Membership(workspace=workspace, user=user, role=role)
        for user, role in ((owner, Role.OWNER), (admin, Role.ADMIN), (member, Role.MEMBER))
    )
    board, other_board = Board.objects.bulk_create(
        Board(workspace=workspace, title=title, created_by=owner) for title in ("Roadmap", "Other")
    )
    todo, done, elsewhere = Column.objects.bulk_create(
        [
            Column(board=board, title="To do", position="a0"),
            Column(board=board, title="Done", position="a1"),
            Column(board=other_board, title="Elsewhere", position="a0"),
        ]
    )
    label = Label.objects.create(board=board, name="Urgent")
    card, other_card = Card.objects.bulk_create(
        [
            Card(board=board, column=todo, title="Task", position="a0", created_by=member),
            Card(
                board=other_board, column=elsewhere, title="Other", position="a0", created_by=member
            ),
        ]
    )
    card.labels.add(label)
    card.assignees.add(member)
    other_card.assignees.add(member)
    comment = Comment.objects.create(card=card, author=member, body="First!")
    report = Report.objects.create(
        reporter=admin, board=board, target_type="comment", target_id=comment.pk, reason="Rude"
    )
    return World(
        owner, admin, member, newcomer, moderator, workspace, board, other_board, todo,
        done, card, other_card, label, comment, report,
    )  # fmt: skip


def _moderators() -> Group:
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="moderate"))
    return group


Call = Callable[[World], object]


# The calls that several pairs share.


def _member_creates_card(w: World) -> object:
    return card_create(actor=w.member, column_id=w.todo.pk, title="New")


def _owner_deletes_workspace(w: World) -> None:
    workspace_delete(actor=w.owner, workspace_id=w.workspace.pk)


def _admin_removes_member(w: World) -> None:
    member_remove(actor=w.admin, workspace_id=w.workspace.pk, user_id=w.member.pk)


def _admin_adds_newcomer(w: World) -> object:
    return member_add(
        actor=w.admin, workspace_id=w.workspace.pk, username=w.newcomer.username, role="member"
    )


def _admin_makes_member_a_viewer(w: World) -> object:
    return member_update(
        actor=w.admin, workspace_id=w.workspace.pk, user_id=w.member.pk, role=Role.VIEWER
    )


def _owner_makes_admin_a_member(w: World) -> object:
    return member_update(
        actor=w.owner, workspace_id=w.workspace.pk, user_id=w.admin.pk, role=Role.MEMBER
    )


def _admin_creates_board(w: World) -> object:
    return board_create(actor=w.admin, workspace_id=w.workspace.pk, title="New board")


def _admin_deletes_board(w: World) -> None:
    board_delete(actor=w.admin, board_id=w.board.pk)


def _admin_deletes_card(w: World) -> None:
    card_delete(actor=w.admin, card_id=w.card.pk)


def _member_renames_card(w: World) -> object:
    return card_update(actor=w.member, card_id=w.card.pk, title="Renamed")


def _member_moves_card_to_done(w: World) -> object:
    return card_move(actor=w.member, card_id=w.card.pk, column_id=w.done.pk)


def _member_comments_on_card(w: World) -> object:
    return comment_create(actor=w.member, card_id=w.card.pk, body="Hi")


def _member_edits_comment(w: World) -> object:
    return comment_update(actor=w.member, comment_id=w.comment.pk, body="Edited")


def _member_reports_card(w: World) -> object:
    return report_create(actor=w.member, target_type="card", target_id=w.card.pk, reason="Spam")


def _moderator_dismisses_report(w: World) -> object:
    return report_dismiss(actor=w.moderator, report_id=w.report.pk, reason="Fine")


# Two conflicting writes each: (name, first, second). Both run at once, many times.
PAIRS: list[tuple[str, Call, Call]] = [
    ("member_update/card_create", _admin_makes_member_a_viewer, _member_creates_card),
    (
        "member_update/comment_create",
        _admin_makes_member_a_viewer,
        lambda w: comment_create(actor=w.member, card_id=w.other_card.pk, body="Hi"),
    ),
    ("member_remove/card_update", _admin_removes_member, _member_renames_card),
    ("member_remove/comment_create", _admin_removes_member, _member_comments_on_card),
    (
        "member_leave/card_move",
        lambda w: member_remove(actor=w.member, workspace_id=w.workspace.pk, user_id=w.member.pk),
        lambda w: card_move(
            actor=w.member, card_id=w.other_card.pk, column_id=w.other_card.column_id
        ),
    ),
    ("member_add/board_create", _admin_adds_newcomer, _admin_creates_board),
    ("member_add/card_create", _admin_adds_newcomer, _member_creates_card),
    ("member_update/member_remove", _owner_makes_admin_a_member, _admin_removes_member),
    ("workspace_delete/card_create", _owner_deletes_workspace, _member_creates_card),
    ("workspace_delete/board_create", _owner_deletes_workspace, _admin_creates_board),
    ("workspace_delete/member_add", _owner_deletes_workspace, _admin_adds_newcomer),
    ("workspace_delete/report_create", _owner_deletes_workspace, _member_reports_card),
    ("workspace_delete/report_dismiss", _owner_deletes_workspace, _moderator_dismisses_report),
    (
        "workspace_update/member_update",
        lambda w: workspace_update(actor=w.admin, workspace_id=w.workspace.pk, name="Renamed"),
        _owner_makes_admin_a_member,
    ),
    (
        "board_update/card_move",
        lambda w: board_update(actor=w.admin, board_id=w.board.pk, title="Renamed"),
        _member_moves_card_to_done,
    ),
    (
        "board_delete/member_update",
        _admin_deletes_board,
        lambda w: member_update(
            actor=w.owner, workspace_id=w.workspace.pk, user_id=w.member.pk, role=Role.VIEWER
        ),
    ),
    ("board_delete/comment_update", _admin_deletes_board, _member_edits_comment),
    (
        "board_set_locked/card_create",
        lambda w: board_set_locked(actor=w.admin, board_id=w.board.pk, locked=True),
        _member_creates_card,
    ),
    (
        "moderate_board_lock/card_create",
        lambda w: moderate_board_lock(
            actor=w.moderator, board_id=w.board.pk, locked=True, reason="Raid"
        ),
        _member_creates_card,
    ),
    (
        "label_delete/card_update",
        lambda w: label_delete(actor=w.admin, label_id=w.label.pk),
        lambda w: card_update(actor=w.member, card_id=w.card.pk, labels=[w.label.pk]),
    ),
    (
        "label_create/card_create",
        lambda w: label_create(actor=w.admin, board_id=w.board.pk, name="New"),
        _member_creates_card,
    ),
    (
        "column_move/card_move",
        lambda w: column_move(actor=w.admin, column_id=w.todo.pk, after=w.done.pk),
        _member_moves_card_to_done,
    ),
    (
        "column_delete/card_create",
        lambda w: column_delete(actor=w.admin, column_id=w.todo.pk),
        _member_creates_card,
    ),
    (
        "column_create/card_archive",
        lambda w: column_create(actor=w.admin, board_id=w.board.pk, title="Later"),
        lambda w: card_archive(actor=w.member, card_id=w.card.pk),
    ),
    ("card_delete/comment_create", _admin_deletes_card, _member_comments_on_card),
    ("card_delete/report_create", _admin_deletes_card, _member_reports_card),
    (
        "moderate_comment/comment_update",
        lambda w: moderate_comment(
            actor=w.moderator, comment_id=w.comment.pk, hidden=True, reason="Rude"
        ),
        _member_edits_comment,
    ),
    (
        "moderate_comment/report_dismiss",
        lambda w: moderate_comment(
            actor=w.moderator,
            comment_id=w.comment.pk,
            hidden=True,
            reason="Rude",
            report_id=w.report.pk,
        ),
        _moderator_dismisses_report,
    ),
    (
        "moderate_comment/comment_delete",
        lambda w: moderate_comment(
            actor=w.admin, comment_id=w.comment.pk, hidden=True, reason="Rude"
        ),
        lambda w: comment_delete(actor=w.member, comment_id=w.comment.pk),
    ),
    (
        "moderate_card_archive/card_update",
        lambda w: moderate_card_archive(actor=w.moderator, card_id=w.card.pk, reason="Spam"),
        _member_renames_card,
    ),
    (
        "moderate_user/card_create",
        lambda w: moderate_user(
            actor=w.moderator, user_id=w.member.pk, active=False, reason="Spammer"
        ),
        _member_creates_card,
    ),
    (
        "comment_react/comment_delete",
        lambda w: comment_react(actor=w.admin, comment_id=w.comment.pk, reaction="heart"),
        lambda w: comment_delete(actor=w.member, comment_id=w.comment.pk),
    ),
    (
        "comment_react/moderate_comment",
        lambda w: comment_react(actor=w.member, comment_id=w.comment.pk, reaction="+1"),
        lambda w: moderate_comment(
            actor=w.admin, comment_id=w.comment.pk, hidden=True, reason="Rude"
        ),
    ),
    (
        "card_update(archived)/card_move",
        lambda w: card_update(actor=w.member, card_id=w.card.pk, archived=True),
        lambda w: card_move(actor=w.admin, card_id=w.card.pk, column_id=w.done.pk),
    ),
]


@pytest.mark.parametrize(("name", "first", "second"), PAIRS, ids=[p[0] for p in PAIRS])
def test_conflicting_services_never_deadlock(name: str, first: Call, second: Call) -> None:
    """Run both at once, repeatedly: each succeeds or is refused with a domain error."""
    for _ in range(REPEAT):
        w = _world()
        outcomes = run_together(partial(first, w), partial(second, w))
        unexpected = [o for o in outcomes if not (o.ok or o.domain_error)]
        assert not unexpected, f"{name}: {describe(outcomes)}"
