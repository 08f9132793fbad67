"""What the admin index tells staff at a glance: open reports, live processes, the last backup.

Each line is read on its own and never fails the page: a source that cannot be read
(the database, the cache holding the processes' heartbeats, the backup directory)
comes back as ``None``, shown as "unavailable" on that line only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from collab.models import Report, ReportStatus
from realtime.heartbeat import read_processes

logger = logging.getLogger(__name__)

# Backups run daily: past this age the last one is late.
BACKUP_STALE_AFTER = timedelta(hours=26)
# bin/backup names its dumps corkboard-<UTC YYYYmmddTHHMMSSZ>.dump.
_BACKUP_NAME = re.compile(r"^corkboard-(\d{8}T\d{6}Z)\.dump$")
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class ProcessLine:
    """One Daphne process as its last heartbeat described it."""

    process: str
    sockets: int
    subscriptions: int
    publish_errors: int
    age_seconds: int


@dataclass(frozen=True)
class Backup:
    """The newest backup file in ``BACKUP_DIR``."""

    name: str
    taken_at: datetime
    size_bytes: int
    has_checksum: bool
    stale: bool


@dataclass(frozen=True)
class Status:
    """The status block of the admin index; ``None`` means that source was unavailable."""

    open_reports: int | None
    processes: list[ProcessLine] | None
    failed_publishes: int | None
    backup: Backup | None  # None: no backup found (or the directory unreadable)
    backup_unavailable: bool  # True: the backup directory could not be read


def status() -> Status:
    """Return every line of the status block, each read on its own."""
    processes = _processes()
    backup, backup_unavailable = _backup()
    return Status(
        open_reports=_open_reports(),
        processes=processes,
        failed_publishes=None if processes is None else sum(p.publish_errors for p in processes),
        backup=backup,
        backup_unavailable=backup_unavailable,
    )


def _open_reports() -> int | None:
    try:
        return Report.objects.filter(status=ReportStatus.OPEN).count()
    except DatabaseError as error:  # a timeout shows as "unavailable", not a broken page
        _unavailable("open reports", error)
        return None


def _processes() -> list[ProcessLine] | None:
    now = timezone.now().timestamp()
    try:
        return [
            ProcessLine(
                process=entry["process"],
                sockets=entry["sockets"],
                subscriptions=entry["subscriptions"],
                publish_errors=entry["publish_errors"],
                age_seconds=max(0, round(now - entry["updated_at"])),
            )
            for entry in sorted(read_processes(), key=lambda entry: entry["process"])
        ]
    except Exception as error:  # a cache outage (or a bad heartbeat) shows as "unavailable"
        _unavailable("process heartbeats", error)
        return None


def _backup() -> tuple[Backup | None, bool]:
    """Return the newest backup (``None`` if there is none) and whether reading failed."""
    directory = Path(settings.BACKUP_DIR)
    try:
        dumps = sorted(
            (taken_at, path)
            for path in directory.glob("corkboard-*.dump")
            if (taken_at := _taken_at(path.name)) is not None
        )
        if not dumps:
            return None, False
        taken_at, newest = dumps[-1]
        size = newest.stat().st_size
        has_checksum = newest.with_name(f"{newest.name}.sha256").is_file()
    except OSError as error:
        _unavailable(f"backups in {directory}", error)
        return None, True
    backup = Backup(
        name=newest.name,
        taken_at=taken_at,
        size_bytes=size,
        has_checksum=has_checksum,
        stale=timezone.now() - taken_at > BACKUP_STALE_AFTER,
    )
    return backup, False


def _taken_at(name: str) -> datetime | None:
    """Return the UTC time in a backup's file name, or ``None`` if it is not one of ours."""
    match = _BACKUP_NAME.match(name)
    try:
        return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC) if match else None
    except ValueError:  # digits that are no date (month 13): not a file bin/backup wrote
        return None


def _unavailable(what: str, error: Exception) -> None:
    logger.warning("Admin status: %s unavailable (%s: %s)", what, type(error).__name__, error)
