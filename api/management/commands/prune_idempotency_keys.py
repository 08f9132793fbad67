"""Management command: delete Idempotency-Key records past IDEMPOTENCY_KEY_HOURS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from api.idempotency import prune


class Command(BaseCommand):
    help = (
        "Delete the stored responses of Idempotency-Key requests older than "
        "IDEMPOTENCY_KEY_HOURS. Run it daily, e.g. from cron, beside prune_events."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {prune()} expired idempotency key(s).")
