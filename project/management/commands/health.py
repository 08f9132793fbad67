"""Management command: the readiness checks of ``GET /readyz`` as a probe (exit 0 or 1)."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError, CommandParser

from project.health import run_checks


class Command(BaseCommand):
    help = (
        "Check the database, the cache and a channel-layer round trip, print the result as "
        "JSON (the body of GET /readyz) and exit 0 when all answer, 1 when one does not. "
        "--live only checks that Django loads (liveness)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--live",
            action="store_true",
            help="Only check that the project loads; ask no dependency.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["live"]:
            self.stdout.write(json.dumps({"status": "ok"}))
            return
        # async_to_sync, not asyncio.run: the checks' ORM work then runs on this thread
        # and its connection, rather than on a worker thread that keeps one open.
        ready, checks = async_to_sync(run_checks)()
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        self.stdout.write(json.dumps(body))
        if not ready:
            failed = ", ".join(name for name, check in checks.items() if check["status"] != "ok")
            raise CommandError(f"not ready: {failed}", returncode=1)
