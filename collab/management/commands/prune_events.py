"""Management command: delete board events older than the retention window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from collab.services.events import event_prune


class Command(BaseCommand):
    help = (
        "Delete events older than EVENT_RETENTION_DAYS (or --days), keeping each "
        "board's latest event. Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: settings.EVENT_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.EVENT_RETENTION_DAYS
        if days < 0:
            raise CommandError("--days must be zero or more.")
        cutoff = timezone.now() - timedelta(days=days)
        deleted = event_prune(older_than=cutoff)
        self.stdout.write(f"Deleted {deleted} event(s) older than {cutoff.isoformat()}.")
