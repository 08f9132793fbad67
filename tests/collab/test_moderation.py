"""Moderation services: each effect is live, logged with its reason, for moderators only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.sessions.models import Session
from django.test import Client

from collab.exceptions import (
    BoardLocked,
    Conflict,
    CorkboardError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from collab.models import (
    Card,
    Comment,
    ModerationAction,
    ModerationKind,
    Report,
    ReportStatus,
)
from collab.services.cards import card_create, card_update
from collab.services.comments import comment_create
from collab.services.moderation import (
    moderate_board_lock,
    moderate_card_archive,
    moderate_comment,
    moderate_user,
    report_dismiss,
)
from collab.services.reports import report_create
from realtime.groups import user_group
from tests.collab.conftest import Published, refused
from tests.conftest import Team, client_for
from tests.factories import make_card, make_comment, make_user


def make_moderator(username: str = "mod", **extra: Any) -> Any:
    """Return a staff user in the Moderators group (created by the data migration)."""
    user = make_user(username, is_staff=True, **extra)
    user.groups.add(Group.objects.get(name="Moderators"))
    return type(user).objects.get(pk=user.pk)  # fresh, without a stale permission cache


@pytest.fixture
def moderator(db: None) -> Any:
    return make_moderator()


@pytest.fixture
def card(team: Team) -> Card:
    return make_card(team.member, team.todo, "Buy followers cheap")


@pytest.fixture
def comment(team: Team, card: Card) -> Comment:
    return make_comment(team.member, card, "You are all idiots")


def _report(team: Team, target_type: str, target_id: int) -> Report:
    return report_create(
        actor=team.viewer, target_type=target_type, target_id=target_id, reason="Abusive"
    )


def _only_log_row() -> ModerationAction:
    (row,) = ModerationAction.objects.all()
    return row


def _assert_resolved(report: Report, moderator: Any) -> None:
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED
    assert report.resolved_by == moderator
    assert report.resolved_at is not None


def test_hiding_a_comment_publishes_it_without_its_body_after_commit(
    team: Team,
    comment: Comment,
    moderator: Any,
    published: list[Published],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(team, "comment", comment.pk)

    with django_capture_on_commit_callbacks(execute=True):
        moderate_comment(
            actor=moderator,
            comment_id=comment.pk,
            hidden=True,
            reason="Insults",
            report_id=report.pk,
        )
        assert published == []  # nothing leaves before the commit

    (sent,) = published
    assert sent.board_id == team.board.pk
    assert sent.frame["event"] == "comment.hidden"
    assert sent.frame["data"]["id"] == comment.pk
    assert sent.frame["data"]["hidden"] is True
    assert sent.frame["data"]["body"] == ""
    assert sent.frame["actor"] == {"id": moderator.pk, "username": moderator.username}
    assert Comment.objects.get(pk=comment.pk).body == "You are all idiots"  # kept for appeal
    row = _only_log_row()
    assert (row.moderator, row.action, row.reason, row.report) == (
        moderator,
        ModerationKind.COMMENT_HIDE,
        "Insults",
        report,
    )
    assert (row.target_type, row.target_id) == ("comment", comment.pk)
    assert "You are all idiots" in row.target_repr and "member" in row.target_repr
    _assert_resolved(report, moderator)


def test_unhiding_a_comment_shows_its_body_again(
    team: Team,
    comment: Comment,
    moderator: Any,
    published: list[Published],
    django_capture_on_commit_callbacks: Any,
) -> None:
    moderate_comment(actor=moderator, comment_id=comment.pk, hidden=True, reason="Insults")
    with django_capture_on_commit_callbacks(execute=True):
        moderate_comment(actor=moderator, comment_id=comment.pk, hidden=False, reason="Appeal won")

    assert [p.frame["event"] for p in published] == ["comment.updated"]
    assert published[0].frame["data"]["body"] == "You are all idiots"
    latest = ModerationAction.objects.first()
    assert latest is not None and latest.action == ModerationKind.COMMENT_UNHIDE
    assert ModerationAction.objects.count() == 2


def test_archiving_a_card_publishes_card_archived(
    team: Team,
    card: Card,
    moderator: Any,
    published: list[Published],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(team, "card", card.pk)

    with django_capture_on_commit_callbacks(execute=True):
        moderate_card_archive(actor=moderator, card_id=card.pk, reason="Spam", report_id=report.pk)

    (sent,) = published
    assert sent.frame["event"] == "card.archived"
    assert sent.frame["data"]["archived"] is True
    assert Card.objects.get(pk=card.pk).archived
    row = _only_log_row()
    assert (row.action, row.target_type, row.target_id, row.report) == (
        ModerationKind.CARD_ARCHIVE,
        "card",
        card.pk,
        report,
    )
    assert "Buy followers cheap" in row.target_repr
    _assert_resolved(report, moderator)


def test_locking_a_board_makes_it_read_only_for_members_but_not_admins(
    team: Team,
    card: Card,
    moderator: Any,
    published: list[Published],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(team, "card", card.pk)

    with django_capture_on_commit_callbacks(execute=True):
        moderate_board_lock(
            actor=moderator,
            board_id=team.board.pk,
            locked=True,
            reason="Raid in progress",
            report_id=report.pk,
        )

    (sent,) = published
    assert (sent.frame["event"], sent.frame["data"]["locked"]) == ("board.locked", True)
    with refused(BoardLocked):
        card_create(actor=team.member, column_id=team.todo.pk, title="More spam")
    with refused(BoardLocked):
        card_update(actor=team.member, card_id=card.pk, title="Edited")
    with refused(BoardLocked):
        comment_create(actor=team.member, card_id=card.pk, body="Hello?")
    assert card_create(actor=team.admin, column_id=team.todo.pk, title="Admins may").pk
    row = _only_log_row()
    assert (row.action, row.target_type, row.target_id, row.reason) == (
        ModerationKind.BOARD_LOCK,
        "board",
        team.board.pk,
        "Raid in progress",
    )
    _assert_resolved(report, moderator)

    with django_capture_on_commit_callbacks(execute=True):
        moderate_board_lock(
            actor=moderator, board_id=team.board.pk, locked=False, reason="Calm again"
        )
    assert published[-1].frame["event"] == "board.unlocked"
    assert card_create(actor=team.member, column_id=team.todo.pk, title="Back to work").pk
    assert ModerationAction.objects.first().action == ModerationKind.BOARD_UNLOCK  # type: ignore[union-attr]


def test_moderators_act_on_a_locked_board_they_are_not_members_of(
    team: Team, card: Card, comment: Comment, moderator: Any
) -> None:
    moderate_board_lock(actor=moderator, board_id=team.board.pk, locked=True, reason="Raid")

    moderate_comment(actor=moderator, comment_id=comment.pk, hidden=True, reason="Insults")
    moderate_card_archive(actor=moderator, card_id=card.pk, reason="Spam")

    assert Comment.objects.get(pk=comment.pk).hidden
    assert Card.objects.get(pk=card.pk).archived


def _suspend_while_listening(user_id: int, suspend: Callable[[], None]) -> dict[str, Any]:
    """Run ``suspend`` with a channel in the user's group; return what the channel got."""

    async def listen() -> dict[str, Any]:
        layer = get_channel_layer()
        assert layer is not None
        channel = await layer.new_channel()
        await layer.group_add(user_group(user_id), channel)
        try:
            # thread_sensitive: back on the test's thread, inside its transaction.
            await sync_to_async(suspend)()
            message: dict[str, Any] = await asyncio.wait_for(layer.receive(channel), 2)
            return message
        finally:
            await layer.group_discard(user_group(user_id), channel)

    return async_to_sync(listen)()


def test_suspending_a_user_cuts_them_off_everywhere(
    team: Team, comment: Comment, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = _report(team, "comment", comment.pk)
    token_client = client_for(team.member)
    assert token_client.get("/api/v1/me/").status_code == 200
    browser = Client()
    browser.force_login(team.member)
    Client().force_login(team.admin)  # someone else's session, which must survive
    assert Session.objects.count() == 2

    def suspend() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            moderate_user(
                actor=moderator,
                user_id=team.member.pk,
                active=False,
                reason="Harassment",
                report_id=report.pk,
            )

    message = _suspend_while_listening(team.member.pk, suspend)

    assert message["type"] == "user.disconnect"
    assert not type(team.member).objects.get(pk=team.member.pk).is_active
    assert Session.objects.count() == 1
    assert all(
        str(s.get_decoded().get("_auth_user_id")) == str(team.admin.pk)
        for s in Session.objects.all()
    )
    assert token_client.get("/api/v1/me/").status_code == 401
    row = _only_log_row()
    assert (row.action, row.target_type, row.target_id, row.reason, row.report) == (
        ModerationKind.USER_SUSPEND,
        "user",
        team.member.pk,
        "Harassment",
        report,
    )
    assert "member" in row.target_repr
    _assert_resolved(report, moderator)


def test_reactivating_a_user_lets_their_tokens_work_again(team: Team, moderator: Any) -> None:
    token_client = client_for(team.member)
    moderate_user(actor=moderator, user_id=team.member.pk, active=False, reason="Spam")
    assert token_client.get("/api/v1/me/").status_code == 401

    user = moderate_user(actor=moderator, user_id=team.member.pk, active=True, reason="Appeal")

    assert user.is_active
    assert token_client.get("/api/v1/me/").status_code == 200
    assert ModerationAction.objects.first().action == ModerationKind.USER_REACTIVATE  # type: ignore[union-attr]


def test_only_superusers_suspend_staff_and_nobody_suspends_themselves(
    team: Team, moderator: Any
) -> None:
    other_moderator = make_moderator("mod2")
    root = make_user("root", is_staff=True, is_superuser=True)

    for target in (other_moderator, root):
        with refused(Forbidden):
            moderate_user(actor=moderator, user_id=target.pk, active=False, reason="Coup")
    with refused(Forbidden):
        moderate_user(actor=moderator, user_id=moderator.pk, active=False, reason="Oops")
    assert ModerationAction.objects.count() == 0
    assert type(root).objects.filter(is_active=True).count() == type(root).objects.count()

    moderate_user(actor=root, user_id=other_moderator.pk, active=False, reason="Abuse of power")
    assert not type(root).objects.get(pk=other_moderator.pk).is_active


def test_dismissing_a_report_closes_it_and_logs_why(
    team: Team, comment: Comment, moderator: Any, published: list[Published]
) -> None:
    report = _report(team, "comment", comment.pk)

    report_dismiss(actor=moderator, report_id=report.pk, reason="Banter between friends")

    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert report.resolved_by == moderator and report.resolved_at is not None
    assert not Comment.objects.get(pk=comment.pk).hidden
    assert published == []  # nothing on the board changed
    row = _only_log_row()
    assert (row.action, row.target_type, row.target_id, row.report, row.reason) == (
        ModerationKind.REPORT_DISMISS,
        "report",
        report.pk,
        report,
        "Banter between friends",
    )
    with refused(Conflict):
        report_dismiss(actor=moderator, report_id=report.pk, reason="Again")
    assert ModerationAction.objects.count() == 1


def test_a_closed_report_keeps_its_outcome(team: Team, comment: Comment, moderator: Any) -> None:
    report = _report(team, "comment", comment.pk)
    report_dismiss(actor=moderator, report_id=report.pk, reason="Fine")

    moderate_comment(
        actor=moderator,
        comment_id=comment.pk,
        hidden=True,
        reason="Changed my mind",
        report_id=report.pk,
    )

    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert report.actions.count() == 2


def _every_action(
    team: Team, card: Card, comment: Comment, report: Report
) -> list[Callable[[Any], object]]:
    return [
        lambda actor: moderate_card_archive(actor=actor, card_id=card.pk, reason="r"),
        lambda actor: moderate_board_lock(
            actor=actor, board_id=team.board.pk, locked=True, reason="r"
        ),
        lambda actor: moderate_user(actor=actor, user_id=team.member.pk, active=False, reason="r"),
        lambda actor: report_dismiss(actor=actor, report_id=report.pk, reason="r"),
    ]


@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider", "staff", "anonymous"])
def test_non_moderators_are_refused_and_nothing_changes(
    team: Team,
    card: Card,
    comment: Comment,
    who: str,
    published: list[Published],
) -> None:
    report = _report(team, "comment", comment.pk)
    actor = {
        "staff": lambda: make_user("staffer", is_staff=True),
        "anonymous": AnonymousUser,
    }.get(who, lambda: team.user(who))()

    for act in _every_action(team, card, comment, report):
        with refused(Forbidden, published=published):
            act(actor)
    assert ModerationAction.objects.count() == 0
    assert type(team.member).objects.get(pk=team.member.pk).is_active


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("member", Forbidden),
        ("viewer", Forbidden),
        ("outsider", NotFound),
        ("staff", NotFound),
        ("anonymous", Forbidden),
    ],
)
def test_hiding_is_refused_below_board_admin_and_nothing_changes(
    team: Team, comment: Comment, who: str, error: type[CorkboardError], published: list[Published]
) -> None:
    """Hiding is moderation: board admins on their boards, moderators anywhere, no one else.

    An outsider is told the comment does not exist, as for any object of another workspace.
    """
    actor = {
        "staff": lambda: make_user("staffer", is_staff=True),
        "anonymous": AnonymousUser,
    }.get(who, lambda: team.user(who))()
    with refused(error, published=published):
        moderate_comment(actor=actor, comment_id=comment.pk, hidden=True, reason="r")
    assert ModerationAction.objects.count() == 0


@pytest.mark.parametrize("who", ["owner", "admin", "moderator"])
def test_board_admins_and_moderators_hide_through_the_audited_service(
    team: Team, comment: Comment, who: str
) -> None:
    """A board admin hiding on their own board is moderating: it is logged like a moderator's."""
    actor = make_moderator() if who == "moderator" else team.user(who)
    report = _report(team, "comment", comment.pk)
    moderate_comment(
        actor=actor, comment_id=comment.pk, hidden=True, reason="Insults", report_id=report.pk
    )
    row = _only_log_row()
    assert (row.moderator, row.action, row.reason, row.report_id) == (
        actor,
        ModerationKind.COMMENT_HIDE,
        "Insults",
        report.pk,
    )
    assert Comment.objects.get(pk=comment.pk).hidden
    _assert_resolved(report, actor)


def test_a_suspended_moderator_is_refused(team: Team, card: Card, comment: Comment) -> None:
    moderator = make_moderator()
    root = make_user("root", is_staff=True, is_superuser=True)
    moderate_user(actor=root, user_id=moderator.pk, active=False, reason="Left the team")
    moderator.refresh_from_db()

    with refused(Forbidden):
        moderate_card_archive(actor=moderator, card_id=card.pk, reason="Spam")


@pytest.mark.parametrize("reason", ["", "   \n", "x" * 2001, "nul\x00", 7], ids=repr)
def test_a_reason_is_required_and_validated(
    team: Team, comment: Comment, moderator: Any, reason: Any
) -> None:
    with refused(ValidationFailed, field="reason"):
        moderate_comment(actor=moderator, comment_id=comment.pk, hidden=True, reason=reason)
    assert ModerationAction.objects.count() == 0


def test_a_report_must_be_about_the_target(
    team: Team, card: Card, comment: Comment, moderator: Any
) -> None:
    other_comment = make_comment(team.admin, card, "Fine comment")
    report = _report(team, "comment", other_comment.pk)
    card_report = _report(team, "card", card.pk)

    with refused(ValidationFailed, field="report_id"):
        moderate_comment(
            actor=moderator, comment_id=comment.pk, hidden=True, reason="r", report_id=report.pk
        )
    with refused(ValidationFailed, field="report_id"):
        moderate_card_archive(actor=moderator, card_id=card.pk, reason="r", report_id=report.pk)
    with refused(ValidationFailed, field="report_id"):
        # The card was written by the member, not the admin.
        moderate_user(
            actor=moderator,
            user_id=team.admin.pk,
            active=False,
            reason="r",
            report_id=card_report.pk,
        )
    with refused(NotFound):
        moderate_card_archive(actor=moderator, card_id=card.pk, reason="r", report_id=10**9)
    assert ModerationAction.objects.count() == 0


def test_a_failed_effect_logs_nothing_and_leaves_the_report_open(
    team: Team, comment: Comment, moderator: Any
) -> None:
    report = _report(team, "comment", comment.pk)
    comment_id = comment.pk
    comment.delete()

    with pytest.raises(NotFound):
        moderate_comment(
            actor=moderator, comment_id=comment_id, hidden=True, reason="r", report_id=report.pk
        )

    assert ModerationAction.objects.count() == 0
    assert Report.objects.get(pk=report.pk).status == ReportStatus.OPEN


def test_moderators_edit_and_delete_comments_only_where_they_are_members(team: Team) -> None:
    """Moderation powers cover hiding, not editing or deleting other boards' comments."""
    from collab.services.comments import comment_delete, comment_set_hidden, comment_update

    moderator = make_moderator()
    card = make_card(team.member, team.todo)
    comment = make_comment(team.member, card, "Spam")
    with pytest.raises(NotFound):
        comment_update(actor=moderator, comment_id=comment.pk, body="Rewritten")
    with pytest.raises(NotFound):
        comment_delete(actor=moderator, comment_id=comment.pk)
    assert comment_set_hidden(actor=moderator, comment_id=comment.pk, hidden=True).hidden
