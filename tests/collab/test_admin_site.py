"""The admin site itself: its names, and the status block on its index page for staff."""

from __future__ import annotations

import time
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

import project.admin_status
from collab.models import Report, ReportStatus
from collab.services.reports import report_create
from realtime.heartbeat import ProcessStats
from tests.collab.test_moderation import make_moderator
from tests.conftest import Team
from tests.factories import make_card, make_comment, make_user

INDEX = "/admin/"


class _StatusRows(HTMLParser):
    """Collect the text and links of each ``<tr id="status-...">`` row of the index page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}
        self._row: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        row_id = found.get("id") or ""
        if tag == "tr" and self._row is None and row_id.startswith("status-"):
            self._row, self._depth = row_id.removeprefix("status-"), 0
            self.text[self._row], self.links[self._row] = "", []
        elif tag == "tr" and self._row is not None:
            self._depth += 1
        elif tag == "a" and self._row is not None:
            self.links[self._row].append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            if self._depth == 0:
                self.text[self._row] = " ".join(self.text[self._row].split())
                self._row = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self.text[self._row] += f" {data}"


def _status(client: Client) -> _StatusRows:
    response = client.get(INDEX)
    assert response.status_code == 200
    rows = _StatusRows()
    rows.feed(response.content.decode())
    return rows


def _heartbeat(process: str, sockets: int, errors: int, age: float) -> ProcessStats:
    return ProcessStats(
        process=process,
        sockets=sockets,
        subscriptions=sockets * 2,
        publish_errors=errors,
        updated_at=time.time() - age,
    )


def _dump(directory: Path, taken: Any, size: int, *, checksum: bool = True) -> Path:
    path = directory / f"corkboard-{taken:%Y%m%dT%H%M%SZ}.dump"
    path.write_bytes(b"x" * size)
    if checksum:
        path.with_name(f"{path.name}.sha256").write_text(f"{'0' * 64}  {path.name}\n")
    return path


@pytest.fixture
def superuser_client(db: None) -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    """An empty backup directory of the test's own."""
    settings.BACKUP_DIR = tmp_path
    return tmp_path


@pytest.fixture
def processes(monkeypatch: pytest.MonkeyPatch) -> list[ProcessStats]:
    """The heartbeats the status block reads: none until the test adds some."""
    beats: list[ProcessStats] = []
    monkeypatch.setattr(project.admin_status, "read_processes", lambda: list(beats))
    return beats


def test_the_site_and_its_models_read_well(team: Team, superuser_client: Client) -> None:
    response = superuser_client.get(INDEX)
    page = response.content.decode()
    assert "<title>Moderation and operations | Corkboard admin</title>" in page
    assert "Corkboard administration" in page and "Django administration" not in page
    names = {
        model["object_name"]: model["name"]
        for app in response.context["app_list"]
        for model in app["models"]
    }
    assert names["ApiToken"] == "API tokens"
    assert names["Event"] == "Board events"
    assert names["Flag"] == "Flags"  # django-waffle's, for superusers
    changelist = superuser_client.get(reverse("admin:collab_event_changelist")).content.decode()
    assert "Select board event to view" in changelist
    assert '<a href="?o=4">Time</a>' in changelist  # the events' time column, not "Ts"


def test_open_reports_count_links_to_the_filtered_queue(
    team: Team, superuser_client: Client, processes: list[ProcessStats], backups: Path
) -> None:
    card = make_card(team.member, team.todo, "Cheap watches")
    comment = make_comment(team.member, card, "Spam")
    for target_type, target_id in (("card", card.pk), ("comment", comment.pk)):
        report_create(actor=team.viewer, target_type=target_type, target_id=target_id, reason="x")
    report_create(actor=team.admin, target_type="card", target_id=card.pk, reason="y")
    Report.objects.filter(reason="y").update(status=ReportStatus.DISMISSED)

    rows = _status(superuser_client)
    assert rows.text["reports"] == "Open reports 2 open reports"
    [link] = rows.links["reports"]
    assert link == f"{reverse('admin:collab_report_changelist')}?status__exact=open"
    queue = superuser_client.get(link)
    assert queue.status_code == 200
    assert {r.status for r in queue.context["cl"].result_list} == {ReportStatus.OPEN}


def test_no_heartbeat_and_no_backup_say_so(
    superuser_client: Client, processes: list[ProcessStats], backups: Path
) -> None:
    rows = _status(superuser_client)
    assert rows.text == {
        "reports": "Open reports 0 open reports",
        "processes": "Sockets per process no process reported",
        "publishes": "Failed publishes 0",
        "backup": "Last backup no backup found",
    }


def test_processes_show_their_heartbeats_and_failed_publishes_add_up(
    superuser_client: Client, processes: list[ProcessStats], backups: Path
) -> None:
    processes += [_heartbeat("web2:4711", 1203, 3, age=4.2), _heartbeat("web1:812", 987, 0, 1)]
    rows = _status(superuser_client)
    assert rows.text["processes"] == "Sockets per process 2 processes reported"
    assert rows.text["process-table"] == (
        "Process Sockets Subscriptions Failed publishes Heartbeat "
        "web1:812 987 1974 0 1 s ago "
        "web2:4711 1203 2406 3 4 s ago"
    )
    assert rows.text["publishes"] == "Failed publishes 3"


def test_the_newest_backup_shows_its_time_size_and_checksum(
    superuser_client: Client, processes: list[ProcessStats], backups: Path
) -> None:
    now = timezone.now().replace(microsecond=0)
    _dump(backups, now - timedelta(days=3), 10)
    newest = _dump(backups, now - timedelta(hours=2), 2048)
    # Not bin/backup's: neither is the newest.
    (backups / "corkboard-latest.dump").write_bytes(b"x")
    (backups / "corkboard-20991399T000000Z.dump").write_bytes(b"x")

    text = _status(superuser_client).text["backup"]
    assert text == (
        f"Last backup {now - timedelta(hours=2):%Y-%m-%d %H:%M} UTC (2 hours ago) "
        f"{newest.name}, 2.0 KB, checksum beside it"
    )


def test_a_backup_older_than_26_hours_or_without_checksum_is_flagged(
    superuser_client: Client, processes: list[ProcessStats], backups: Path
) -> None:
    recent = _dump(backups, timezone.now() - timedelta(hours=25), 10, checksum=False)
    text = _status(superuser_client).text["backup"]
    assert text.endswith("no checksum file") and "Late" not in text

    recent.unlink()
    _dump(backups, timezone.now() - timedelta(hours=27), 10)
    text = _status(superuser_client).text["backup"]
    assert "Late: backups run daily (bin/backup)." in text and text.endswith("checksum beside it")


def test_the_cache_down_makes_only_the_process_lines_unavailable(
    monkeypatch: pytest.MonkeyPatch, superuser_client: Client, backups: Path
) -> None:
    def cache_down() -> list[ProcessStats]:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(project.admin_status, "read_processes", cache_down)
    rows = _status(superuser_client)
    assert rows.text == {
        "reports": "Open reports 0 open reports",
        "processes": "Sockets per process unavailable",
        "publishes": "Failed publishes unavailable",
        "backup": "Last backup no backup found",
    }


def test_an_unreadable_backup_directory_makes_only_its_line_unavailable(
    monkeypatch: pytest.MonkeyPatch,
    superuser_client: Client,
    processes: list[ProcessStats],
    backups: Path,
) -> None:
    class Unreadable(type(Path())):  # type: ignore[misc]
        def glob(self, pattern: str, **kwargs: Any) -> Any:
            raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(project.admin_status, "Path", Unreadable)
    rows = _status(superuser_client)
    assert rows.text["backup"] == "Last backup unavailable"
    assert rows.text["processes"] == "Sockets per process no process reported"


def test_a_missing_backup_directory_means_no_backup(
    settings: Any, tmp_path: Path, superuser_client: Client, processes: list[ProcessStats]
) -> None:
    settings.BACKUP_DIR = tmp_path / "not-created-yet"
    assert _status(superuser_client).text["backup"] == "Last backup no backup found"


def test_a_moderator_sees_the_status_block_too(
    db: None, processes: list[ProcessStats], backups: Path
) -> None:
    moderator = make_moderator()
    assert not moderator.is_superuser
    processes.append(_heartbeat("web1:812", 5, 1, age=2))
    _dump(backups, timezone.now() - timedelta(hours=1), 10)
    client = Client()
    client.force_login(moderator)
    rows = _status(client)
    assert rows.text["reports"] == "Open reports 0 open reports"
    assert rows.text["process-table"].endswith("web1:812 5 10 1 2 s ago")
    assert rows.text["publishes"] == "Failed publishes 1"
    assert rows.text["backup"].endswith("checksum beside it")
