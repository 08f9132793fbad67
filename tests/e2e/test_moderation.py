"""Moderation end to end: what a moderator does in the Django admin shows in members' tabs live."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from playwright.sync_api import BrowserContext, WebSocket, expect

from collab.models import Comment, ModerationAction, ModerationKind, Report, ReportStatus
from tests.conftest import Team
from tests.e2e.conftest import OpenBoard, _server_password_hash, session_cookies
from tests.e2e.database import in_thread
from tests.e2e.pages import LIVE_MS, AdminSite, BoardPage
from tests.e2e.rest import RestClient
from tests.factories import PASSWORD, make_card, make_comment, make_user
from tests.servers import DaphneServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The group's name and exact permissions, as the data migration defines them.
MODERATORS = importlib.import_module("collab.migrations.0003_moderators_group")
SPAM = "Cheap followers at spam.example, limited offer!"


def _make_moderator() -> Any:
    """Create a staff user in the Moderators group (not a superuser) who can log in.

    Transactional tests flush the database, data-migrated rows included, so the group
    is made again here with the migration's own permission list.
    """
    group, _ = Group.objects.get_or_create(name=MODERATORS.GROUP)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in MODERATORS.PERMISSIONS
    )
    user = make_user("moderator", is_staff=True)
    user.password = _server_password_hash()
    user.save(update_fields=["password"])
    user.groups.add(group)
    return user


@pytest.fixture
def moderator(team: Team) -> Any:
    return in_thread(_make_moderator)


@pytest.fixture
def admin_site(
    new_context: Callable[[], BrowserContext], moderator: Any, request: pytest.FixtureRequest
) -> AdminSite:
    """Return the moderator's own browser, logged in through the admin's log-in form."""
    site = AdminSite(new_context().new_page(), shot_prefix=request.node.name)
    site.log_in(moderator.username, PASSWORD)
    return site


def _log_rows() -> list[tuple[str, str, str, int, str, int | None]]:
    return list(
        ModerationAction.objects.order_by("id").values_list(
            "moderator__username", "action", "target_type", "target_id", "reason", "report_id"
        )
    )


def _seed_comment(team: Team) -> int:
    card = make_card(team.owner, team.todo, "Launch plan")
    return make_comment(team.owner, card, SPAM).pk


def _report_state(report_id: int) -> tuple[str, str | None, bool]:
    report = Report.objects.select_related("resolved_by").get(pk=report_id)
    resolver = report.resolved_by.username if report.resolved_by else None
    return report.status, resolver, report.resolved_at is not None


def _comment_hidden(comment_id: int) -> bool:
    return Comment.objects.get(pk=comment_id).hidden


def test_moderator_hides_a_reported_comment_and_the_watcher_sees_it_replaced(
    team: Team, open_board: OpenBoard, admin_site: AdminSite
) -> None:
    comment_id = in_thread(_seed_comment, team)
    member = open_board(team.member, team.board.pk)
    panel = member.open_card("Launch plan")
    comment = panel.locator(f'[data-testid="comment"][data-comment-id="{comment_id}"]')
    expect(comment.get_by_test_id("comment-body")).to_have_text(SPAM)

    # The member reports the owner's comment with the app's button.
    comment.get_by_test_id("comment-report").click()
    comment.get_by_test_id("report-reason").fill("Spam link")
    with member.page.expect_response(
        lambda r: r.url.endswith("/api/v1/reports/") and r.request.method == "POST"
    ) as answer:
        comment.get_by_test_id("report-submit").click()
    assert answer.value.status == 201, answer.value.text()
    report_id = int(answer.value.json()["id"])

    # The moderator finds it at the top of the queue and hides the comment.
    admin_site.changelist("collab", "report")
    expect(admin_site.page.locator("#result_list tbody tr").first).to_contain_text(SPAM[:40])
    reason = admin_site.start_action("hide_reported_comments", [report_id])
    expect(admin_site.page.locator("ul.moderation-targets")).to_contain_text(f"Report {report_id}")
    reason.fill("Spam: a paid-followers link")
    admin_site.screenshot("confirmation")
    admin_site.apply()

    hidden = comment.get_by_test_id("comment-hidden")
    expect(hidden).to_have_text("This comment was hidden by a moderator.", timeout=LIVE_MS)
    expect(comment.get_by_test_id("comment-body")).to_have_count(0)
    assert SPAM not in member.page.content()
    member.screenshot("card-panel")

    expect(admin_site.messages).to_have_text(["Hid the comments of 1 report(s)."])
    admin_site.screenshot("result")
    assert in_thread(_comment_hidden, comment_id)
    assert in_thread(_report_state, report_id) == (ReportStatus.RESOLVED, "moderator", True)
    assert in_thread(_log_rows) == [
        (
            "moderator",
            ModerationKind.COMMENT_HIDE,
            "comment",
            comment_id,
            "Spam: a paid-followers link",
            report_id,
        )
    ]

    # Unhiding from the Comments page brings the text back for the member, live too.
    admin_site.changelist("collab", "comment")
    admin_site.start_action("unhide_comments", [comment_id]).fill("Reviewed: a false alarm")
    admin_site.apply()
    expect(comment.get_by_test_id("comment-body")).to_have_text(SPAM, timeout=LIVE_MS)
    expect(hidden).to_have_count(0)
    expect(admin_site.messages).to_have_text(["Unhid 1 comment(s)."])
    assert in_thread(_log_rows)[1] == (
        "moderator",
        ModerationKind.COMMENT_UNHIDE,
        "comment",
        comment_id,
        "Reviewed: a false alarm",
        None,
    )
    member.assert_not_reloaded()


def _user_state(user_id: int) -> tuple[bool, int]:
    """Return whether the user is active and how many live sessions they still have."""
    sessions = sum(
        str(session.get_decoded().get("_auth_user_id")) == str(user_id)
        for session in Session.objects.all()
    )
    return get_user_model().objects.get(pk=user_id).is_active, sessions


def test_suspending_a_user_closes_their_socket_and_ends_their_session(
    team: Team,
    new_context: Callable[[], BrowserContext],
    web: DaphneServer,
    admin_site: AdminSite,
    request: pytest.FixtureRequest,
) -> None:
    script = RestClient(web.url, team.member)
    board_url = f"{web.url}/api/v1/boards/{team.board.pk}/"
    assert script.session.get(board_url, timeout=10).status_code == 200

    context = new_context()
    context.add_cookies(session_cookies(web.url, team.member.username))  # type: ignore[arg-type]
    page = context.new_page()
    sockets: list[WebSocket] = []
    # Playwright wraps handlers by setting an attribute, which a bound builtin refuses.
    page.on("websocket", lambda socket: sockets.append(socket))
    member = BoardPage(page, team.board.pk, shot_prefix=request.node.name)
    member.goto()
    member.expect_live()
    assert len(sockets) == 1
    assert in_thread(_user_state, team.member.pk) == (True, 1)

    admin_site.changelist("accounts", "user")
    admin_site.start_action("suspend_users", [team.member.pk]).fill("Spam account")
    admin_site.screenshot("confirmation")
    with sockets[0].expect_event("close", timeout=LIVE_MS):
        admin_site.apply()

    # The close code (4403) makes the app ask /me/; the session is gone, so: log-in page.
    expect(page.get_by_test_id("login-form")).to_be_visible(timeout=LIVE_MS)
    expect(page).to_have_url(re.compile(rf"/login\?next=.*{team.board.pk}"))
    expect(member.status).to_have_count(0)
    expect(page.get_by_test_id("toast")).to_contain_text("Your session ended")
    member.screenshot("after-suspension")
    expect(admin_site.messages).to_have_text(["Suspended 1 user(s)."])
    admin_site.screenshot("result")

    assert script.session.get(board_url, timeout=10).status_code == 401
    assert context.request.get("/api/v1/me/").status in (401, 403)
    assert in_thread(_user_state, team.member.pk) == (False, 0)
    assert in_thread(_log_rows) == [
        ("moderator", ModerationKind.USER_SUSPEND, "user", team.member.pk, "Spam account", None)
    ]
    # Never back to Live: the app stopped its connection instead of retrying (the first
    # retry would come after 0.5-1 s of backoff).
    page.wait_for_timeout(1_500)
    assert len(sockets) == 1


def test_locking_a_board_makes_it_read_only_live_and_unlocking_restores_editing(
    team: Team, open_board: OpenBoard, admin_site: AdminSite, web: DaphneServer
) -> None:
    card = in_thread(make_card, team.owner, team.todo, "Ship it")
    script = RestClient(web.url, team.member)
    member = open_board(team.member, team.board.pk)
    panel = member.open_card("Ship it")
    composers = member.page.get_by_test_id("new-card-input")
    edit_controls = [
        composers,
        panel.get_by_test_id("comment-input"),
        panel.get_by_test_id("card-archive"),
        panel.get_by_test_id("description-edit"),
    ]
    expect(composers).to_have_count(2)
    for control in edit_controls[1:]:
        expect(control).to_have_count(1)
    expect(member.page.get_by_test_id("locked-banner")).to_have_count(0)

    admin_site.changelist("collab", "board")
    admin_site.start_action("lock_boards", [team.board.pk]).fill("Raid in progress")
    admin_site.apply()
    expect(member.page.get_by_test_id("locked-banner")).to_be_visible(timeout=LIVE_MS)
    expect(member.page.get_by_test_id("locked-badge")).to_be_visible()
    for control in edit_controls:
        expect(control).to_have_count(0)
    member.screenshot("locked")
    expect(admin_site.messages).to_have_text(["Locked 1 board(s)."])

    # Writes are refused with a clear error, not just hidden.
    refused = script.session.patch(
        f"{web.url}/api/v1/cards/{card.pk}/", json={"title": "Sneaky"}, timeout=10
    )
    assert refused.status_code == 423
    assert refused.json()["error"] == "board_locked"

    admin_site.start_action("unlock_boards", [team.board.pk]).fill("Raid over")
    admin_site.apply()
    expect(member.page.get_by_test_id("locked-banner")).to_have_count(0, timeout=LIVE_MS)
    expect(composers).to_have_count(2)
    for control in edit_controls[1:]:
        expect(control).to_have_count(1)
    expect(admin_site.messages).to_have_text(["Unlocked 1 board(s)."])
    member.screenshot("unlocked")
    assert [row[1:] for row in in_thread(_log_rows)] == [
        (ModerationKind.BOARD_LOCK, "board", team.board.pk, "Raid in progress", None),
        (ModerationKind.BOARD_UNLOCK, "board", team.board.pk, "Raid over", None),
    ]
    member.assert_not_reloaded()
