"""Moderation in the Django admin, as a moderator: the report queue, actions, and their limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ApiToken
from collab.models import (
    Board,
    Card,
    Comment,
    Membership,
    ModerationAction,
    ModerationKind,
    Report,
    ReportStatus,
)
from collab.services.moderation import moderate_comment
from collab.services.reports import report_create
from tests.collab.conftest import Published
from tests.collab.test_moderation import make_moderator
from tests.conftest import Team
from tests.factories import (
    add_member,
    make_board,
    make_card,
    make_column,
    make_comment,
    make_token,
    make_user,
    make_workspace,
)

EXPECTED_MODERATOR_PERMISSIONS = {
    "collab.moderate",
    "collab.view_report",
    "collab.change_report",
    "collab.view_moderationaction",
    "collab.view_comment",
    "collab.view_card",
    "collab.view_board",
    "accounts.view_user",
}


def _url(model: type[Model] | Model, view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def moderator(db: None) -> Any:
    return make_moderator()


@pytest.fixture
def mod_client(moderator: Any) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@dataclass
class Queue:
    """A reported card and comment on the team's board."""

    card: Card
    comment: Comment
    card_report: Report
    comment_report: Report


@pytest.fixture
def queue(team: Team) -> Queue:
    card = make_card(team.member, team.todo, "Cheap watches")
    comment = make_comment(team.member, card, "Everyone here is a clown")
    return Queue(
        card=card,
        comment=comment,
        card_report=report_create(
            actor=team.viewer, target_type="card", target_id=card.pk, reason="Advertising"
        ),
        comment_report=report_create(
            actor=team.admin, target_type="comment", target_id=comment.pk, reason="Insulting"
        ),
    )


def _act(client: Client, url: str, action: str, pks: list[int], reason: str | None = None) -> Any:
    """Post an admin action: the change list's form, or (with a reason) its confirmation."""
    data: dict[str, Any] = {"action": action, "_selected_action": [str(pk) for pk in pks]}
    if reason is None:
        data["index"] = "0"
    else:
        data.update(apply="yes", reason=reason)
    return client.post(url, data)


def test_the_moderators_group_holds_exactly_the_moderation_permissions(db: None) -> None:
    group = Group.objects.get(name="Moderators")
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    assert held == EXPECTED_MODERATOR_PERMISSIONS


def test_a_moderator_sees_the_moderation_pages_and_nothing_else(
    mod_client: Client, moderator: Any
) -> None:
    assert moderator.get_all_permissions() == EXPECTED_MODERATOR_PERMISSIONS
    index = mod_client.get(reverse("admin:index"))
    assert index.status_code == 200
    visible = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert visible == {"Report", "ModerationAction", "Comment", "Card", "Board", "User"}


def test_the_queue_lists_open_reports_first_newest_first_with_previews(
    team: Team, queue: Queue, moderator: Any, mod_client: Client
) -> None:
    moderate_comment(
        actor=moderator,
        comment_id=queue.comment.pk,
        hidden=True,
        reason="r",
        report_id=queue.comment_report.pk,
    )
    newest = report_create(
        actor=team.viewer, target_type="comment", target_id=queue.comment.pk, reason="Still rude"
    )

    response = mod_client.get(_url(Report, "changelist"))

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [r.pk for r in rows] == [newest.pk, queue.card_report.pk, queue.comment_report.pk]
    page = response.content.decode()
    # A hidden comment still shows its words to moderators, with a link to it.
    assert "Everyone here is a clown" in page
    assert _url(Comment, "change", queue.comment.pk) in page
    assert "Cheap watches" in page and _url(Card, "change", queue.card.pk) in page
    actions = {name for name, _ in response.context["action_form"].fields["action"].choices}
    assert {
        "hide_reported_comments",
        "unhide_reported_comments",
        "archive_reported_cards",
        "lock_reported_boards",
        "unlock_reported_boards",
        "suspend_reported_authors",
        "dismiss_reports",
    } <= actions
    assert "delete_selected" not in actions


def test_the_queue_filters_and_searches(team: Team, queue: Queue, mod_client: Client) -> None:
    other_owner = make_user("other")
    other_board = make_board(other_owner, make_workspace(other_owner, "Other"), "Elsewhere")
    other_card = make_card(other_owner, make_column(other_owner, other_board), "Quiet card")
    report_dismissed = report_create(
        actor=other_owner, target_type="card", target_id=other_card.pk, reason="Typo"
    )
    Report.objects.filter(pk=report_dismissed.pk).update(status=ReportStatus.DISMISSED)

    def found(query: str) -> set[int]:
        response = mod_client.get(_url(Report, "changelist") + query)
        assert response.status_code == 200, query
        return {r.pk for r in response.context["cl"].result_list}

    card_r, comment_r = queue.card_report.pk, queue.comment_report.pk
    assert found("?status__exact=open") == {card_r, comment_r}
    assert found("?status__exact=dismissed") == {report_dismissed.pk}
    assert found("?target_type__exact=comment") == {comment_r}
    assert found("?target_type__exact=card") == {card_r, report_dismissed.pk}
    assert found(f"?board__id__exact={team.board.pk}") == {card_r, comment_r}
    assert found(f"?board__id__exact={other_board.pk}") == {report_dismissed.pk}
    assert found("?q=clown") == {comment_r}  # the target's text
    assert found("?q=watches") == {card_r}
    assert found("?q=advertising") == {card_r}  # the reason
    assert found("?q=viewer") == {card_r}  # the reporter
    assert found("?q=clown&status__exact=open&target_type__exact=comment") == {comment_r}
    assert found("?q=nothing-like-this") == set()


def _grow(name: str, size: int) -> None:
    """Add a workspace with ``size`` reported cards and comments, some already handled."""
    owner = make_user(f"{name}-owner")
    board = make_board(owner, make_workspace(owner, name), f"{name} board")
    column = make_column(owner, board)
    moderator = make_moderator(f"{name}-mod")
    for i in range(size):
        author = make_user(f"{name}-author{i}")
        add_member(board.workspace, owner, author)
        card = make_card(author, column, f"{name} card {i}")
        comment = make_comment(author, card, f"{name} comment {i}")
        report_create(actor=owner, target_type="card", target_id=card.pk, reason="Spam")
        report = report_create(
            actor=owner, target_type="comment", target_id=comment.pk, reason="Rude"
        )
        moderate_comment(
            actor=moderator, comment_id=comment.pk, hidden=True, reason="r", report_id=report.pk
        )


QUEUE_PAGES = (
    "",
    "?status__exact=open",
    "?target_type__exact=comment&q=comment",
    "?q=card&status__exact=open",
)


def test_the_queue_runs_a_constant_number_of_queries(
    mod_client: Client, django_assert_max_num_queries: Any
) -> None:
    _grow("small", 1)
    base = _url(Report, "changelist")
    counts = {}
    for query in QUEUE_PAGES:
        mod_client.get(base + query)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            response = mod_client.get(base + query)
        assert response.status_code == 200
        counts[query] = len(captured)

    assert max(counts.values()) <= 12, counts
    _grow("large", 5)
    for query in QUEUE_PAGES:
        with django_assert_max_num_queries(counts[query]):
            response = mod_client.get(base + query)
        assert response.status_code == 200
        assert response.context["cl"].result_count >= 5, query
    log_url = _url(ModerationAction, "changelist")
    mod_client.get(log_url)
    with CaptureQueriesContext(connection) as captured:
        assert mod_client.get(log_url).status_code == 200
    _grow("huge", 5)
    with django_assert_max_num_queries(len(captured)):
        assert mod_client.get(log_url).status_code == 200


def _confirm_then_apply(client: Client, url: str, action: str, pks: list[int], reason: str) -> Any:
    """Walk an action through its reason page; check that nothing happens before ``apply``."""
    before = ModerationAction.objects.count()
    page = _act(client, url, action, pks)
    assert page.status_code == 200
    assert page.templates[0].name == "admin/moderation_confirmation.html"
    body = page.content.decode()
    assert 'name="reason"' in body and 'name="apply"' in body
    assert f'name="action" value="{action}"' in body
    for pk in pks:
        assert f'name="_selected_action" value="{pk}"' in body
    blank = _act(client, url, action, pks, reason="   ")
    assert blank.status_code == 200
    assert blank.context["form"].errors["reason"]
    assert ModerationAction.objects.count() == before
    done = _act(client, url, action, pks, reason=reason)
    assert done.status_code == 302, done.content.decode()[:2000]
    return done


@pytest.mark.parametrize(
    ("action", "target", "event", "kind", "check"),
    [
        (
            "hide_reported_comments",
            "comment",
            "comment.hidden",
            ModerationKind.COMMENT_HIDE,
            lambda q, team: Comment.objects.get(pk=q.comment.pk).hidden,
        ),
        (
            "archive_reported_cards",
            "card",
            "card.archived",
            ModerationKind.CARD_ARCHIVE,
            lambda q, team: Card.objects.get(pk=q.card.pk).archived,
        ),
        (
            "lock_reported_boards",
            "card",
            "board.locked",
            ModerationKind.BOARD_LOCK,
            lambda q, team: Board.objects.get(pk=team.board.pk).locked,
        ),
        (
            "suspend_reported_authors",
            "comment",
            None,
            ModerationKind.USER_SUSPEND,
            lambda q, team: not type(team.member).objects.get(pk=team.member.pk).is_active,
        ),
        (
            "dismiss_reports",
            "card",
            None,
            ModerationKind.REPORT_DISMISS,
            lambda q, team: (
                Report.objects.get(pk=q.card_report.pk).status == ReportStatus.DISMISSED
            ),
        ),
    ],
)
def test_each_queue_action_goes_through_the_services(
    team: Team,
    queue: Queue,
    moderator: Any,
    mod_client: Client,
    published: list[Published],
    django_capture_on_commit_callbacks: Any,
    action: str,
    target: str,
    event: str | None,
    kind: ModerationKind,
    check: Any,
) -> None:
    report = queue.comment_report if target == "comment" else queue.card_report

    with django_capture_on_commit_callbacks(execute=True):
        _confirm_then_apply(mod_client, _url(Report, "changelist"), action, [report.pk], "Abuse")

    assert check(queue, team)
    assert [p.frame["event"] for p in published] == ([event] if event else [])
    row = ModerationAction.objects.get()
    assert (row.moderator, row.action, row.reason, row.report_id) == (
        moderator,
        kind,
        "Abuse",
        report.pk,
    )
    report.refresh_from_db()
    assert report.resolved_by == moderator
    assert report.status != ReportStatus.OPEN


def test_queue_undo_actions_unhide_and_unlock(
    team: Team, queue: Queue, moderator: Any, mod_client: Client
) -> None:
    url = _url(Report, "changelist")
    pks = [queue.comment_report.pk]
    _act(mod_client, url, "hide_reported_comments", pks, reason="Rude")
    _act(mod_client, url, "lock_reported_boards", pks, reason="Raid")
    assert Comment.objects.get(pk=queue.comment.pk).hidden
    assert Board.objects.get(pk=team.board.pk).locked

    _confirm_then_apply(mod_client, url, "unhide_reported_comments", pks, "Appeal")
    _confirm_then_apply(mod_client, url, "unlock_reported_boards", pks, "Over")

    assert not Comment.objects.get(pk=queue.comment.pk).hidden
    assert not Board.objects.get(pk=team.board.pk).locked
    assert list(ModerationAction.objects.values_list("action", flat=True)) == [
        ModerationKind.BOARD_UNLOCK,
        ModerationKind.COMMENT_UNHIDE,
        ModerationKind.BOARD_LOCK,
        ModerationKind.COMMENT_HIDE,
    ]


def test_a_queue_action_on_the_wrong_kind_of_target_is_reported_not_applied(
    queue: Queue, mod_client: Client
) -> None:
    url = _url(Report, "changelist")
    response = _act(
        mod_client,
        url,
        "hide_reported_comments",
        [queue.card_report.pk, queue.comment_report.pk],
        reason="Rude",
    )

    assert response.status_code == 302
    messages = [str(m) for m in mod_client.get(url).context["messages"]]
    assert any("about a card, not a comment" in m for m in messages), messages
    assert any("Hid the comments of 1 report(s)." in m for m in messages), messages
    assert Report.objects.get(pk=queue.card_report.pk).status == ReportStatus.OPEN
    assert ModerationAction.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "target", "kind", "check"),
    [
        (
            "hide_comments",
            "comment",
            ModerationKind.COMMENT_HIDE,
            lambda q, team: Comment.objects.get(pk=q.comment.pk).hidden,
        ),
        (
            "archive_cards",
            "card",
            ModerationKind.CARD_ARCHIVE,
            lambda q, team: Card.objects.get(pk=q.card.pk).archived,
        ),
        (
            "lock_boards",
            "board",
            ModerationKind.BOARD_LOCK,
            lambda q, team: Board.objects.get(pk=team.board.pk).locked,
        ),
        (
            "suspend_users",
            "user",
            ModerationKind.USER_SUSPEND,
            lambda q, team: not type(team.member).objects.get(pk=team.member.pk).is_active,
        ),
    ],
    ids=["comment", "card", "board", "user"],
)
def test_object_pages_have_the_same_actions(
    team: Team,
    queue: Queue,
    moderator: Any,
    mod_client: Client,
    action: str,
    target: str,
    kind: ModerationKind,
    check: Any,
) -> None:
    obj = {
        "comment": queue.comment,
        "card": queue.card,
        "board": team.board,
        "user": team.member,
    }[target]

    _confirm_then_apply(mod_client, _url(type(obj), "changelist"), action, [obj.pk], "Abuse")

    assert check(queue, team)
    row = ModerationAction.objects.get()
    assert (row.action, row.target_type, row.target_id, row.reason, row.report) == (
        kind,
        target,
        obj.pk,
        "Abuse",
        None,
    )


def test_object_page_undo_actions(team: Team, queue: Queue, mod_client: Client) -> None:
    steps = [
        (queue.comment, "hide_comments", "unhide_comments"),
        (team.board, "lock_boards", "unlock_boards"),
        (team.member, "suspend_users", "reactivate_users"),
    ]
    for obj, do, undo in steps:
        url = _url(type(obj), "changelist")
        _act(mod_client, url, do, [obj.pk], reason="Abuse")
        _confirm_then_apply(mod_client, url, undo, [obj.pk], "Appeal")

    assert not Comment.objects.get(pk=queue.comment.pk).hidden
    assert not Board.objects.get(pk=team.board.pk).locked
    assert type(team.member).objects.get(pk=team.member.pk).is_active
    assert ModerationAction.objects.count() == 6


def test_a_moderator_cannot_suspend_staff_through_the_admin(
    mod_client: Client, moderator: Any
) -> None:
    other = make_moderator("mod2")
    url = _url(type(other), "changelist")

    _act(mod_client, url, "suspend_users", [other.pk, moderator.pk], reason="Coup")

    messages = [str(m) for m in mod_client.get(url).context["messages"]]
    assert any("Only a superuser" in m for m in messages), messages
    assert any("cannot suspend or reactivate yourself" in m for m in messages), messages
    assert type(other).objects.filter(pk__in=[other.pk, moderator.pk], is_active=True).count() == 2
    assert ModerationAction.objects.count() == 0


def test_the_audit_log_is_read_only_for_moderators(
    queue: Queue, moderator: Any, mod_client: Client
) -> None:
    moderate_comment(actor=moderator, comment_id=queue.comment.pk, hidden=True, reason="Rude")
    row = ModerationAction.objects.get()

    listing = mod_client.get(_url(ModerationAction, "changelist"))
    assert listing.status_code == 200
    assert "Rude" in mod_client.get(_url(ModerationAction, "change", row.pk)).content.decode()
    assert mod_client.get(_url(ModerationAction, "add")).status_code == 403
    assert (
        mod_client.post(_url(ModerationAction, "change", row.pk), {"reason": "x"}).status_code
        == 403
    )
    assert mod_client.get(_url(ModerationAction, "delete", row.pk)).status_code == 403
    assert (
        mod_client.post(_url(ModerationAction, "delete", row.pk), {"post": "yes"}).status_code
        == 403
    )
    bulk = mod_client.post(
        _url(ModerationAction, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "index": "0", "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert ModerationAction.objects.get(pk=row.pk).reason == "Rude"


def test_superusers_cannot_edit_the_audit_log_either(queue: Queue, moderator: Any) -> None:
    moderate_comment(actor=moderator, comment_id=queue.comment.pk, hidden=True, reason="Rude")
    row = ModerationAction.objects.get()
    root = Client()
    root.force_login(make_user("root", is_staff=True, is_superuser=True))

    assert root.post(_url(ModerationAction, "change", row.pk), {"reason": "x"}).status_code == 403
    assert root.post(_url(ModerationAction, "delete", row.pk), {"post": "yes"}).status_code == 403
    root.post(
        _url(ModerationAction, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "index": "0", "post": "yes"},
    )
    assert ModerationAction.objects.get(pk=row.pk).reason == "Rude"


def test_a_moderator_cannot_change_passwords_tokens_memberships_or_users(
    team: Team, mod_client: Client
) -> None:
    token, _ = make_token(team.member)
    membership = Membership.objects.get(workspace=team.workspace, user=team.member)
    # Django names this route after auth.User whatever the user model is.
    password_url = reverse("admin:auth_user_password_change", args=[team.member.pk])
    password_before = type(team.member).objects.get(pk=team.member.pk).password

    assert mod_client.get(password_url).status_code == 403
    new_password = {"password1": "Hijacked-123456", "password2": "Hijacked-123456"}
    assert mod_client.post(password_url, new_password).status_code == 403
    assert mod_client.get(_url(ApiToken, "change", token.pk)).status_code == 403
    assert mod_client.get(_url(ApiToken, "changelist")).status_code == 403
    assert mod_client.post(_url(ApiToken, "delete", token.pk), {"post": "yes"}).status_code == 403
    assert mod_client.get(_url(Membership, "change", membership.pk)).status_code == 403
    assert (
        mod_client.post(_url(Membership, "delete", membership.pk), {"post": "yes"}).status_code
        == 403
    )
    assert mod_client.get(_url(team.workspace, "change", team.workspace.pk)).status_code == 403
    user_form = {"username": "renamed", "is_superuser": "on", "is_staff": "on"}
    assert (
        mod_client.post(_url(team.member, "change", team.member.pk), user_form).status_code == 403
    )
    assert mod_client.get(_url(type(team.member), "add")).status_code == 403

    # The same pages open for a superuser: the 403s above are about permissions.
    root = Client()
    root.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert root.get(password_url).status_code == 200
    assert root.get(_url(ApiToken, "change", token.pk)).status_code == 200
    assert root.get(_url(Membership, "change", membership.pk)).status_code == 200

    member = type(team.member).objects.get(pk=team.member.pk)
    assert (member.username, member.password, member.is_superuser) == (
        "member",
        password_before,
        False,
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_staff_without_moderation_rights_get_no_actions(queue: Queue) -> None:
    viewer = make_user("auditor", is_staff=True)
    viewer.user_permissions.add(
        *Group.objects.get(name="Moderators").permissions.exclude(codename="moderate")
    )
    client = Client()
    client.force_login(viewer)
    url = _url(Report, "changelist")

    response = client.get(url)
    assert response.status_code == 200
    assert response.context["action_form"] is None or not [
        name for name, _ in response.context["action_form"].fields["action"].choices if name
    ]
    _act(client, url, "hide_reported_comments", [queue.comment_report.pk], reason="Rude")
    _act(client, _url(Comment, "changelist"), "hide_comments", [queue.comment.pk], reason="Rude")

    assert not Comment.objects.get(pk=queue.comment.pk).hidden
    assert ModerationAction.objects.count() == 0
