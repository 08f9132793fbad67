"""Management command: write a board as a JSON document (collab/services/transfer.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from collab.exceptions import NotFound
from collab.services.transfer import board_export


class Command(BaseCommand):
    help = (
        "Export a board (columns, labels, cards, comments and its event history) as JSON, "
        "to stdout or --output FILE. Import it with import_board."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("board_id", type=int)
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            document = board_export(board_id=options["board_id"])
        except NotFound as error:
            raise CommandError(f"No board with id {options['board_id']}.") from error
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        output = Path(options["output"])
        # Written whole, then renamed: an interrupted export leaves no truncated file.
        partial = output.with_name(f".{output.name}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, output)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        counts = ", ".join(f"{len(document[kind])} {kind}" for kind in ("columns", "cards"))
        self.stdout.write(
            f"Exported board {options['board_id']} ({counts}, {len(document['comments'])} "
            f"comments, {len(document['history'])} events) to {output}."
        )
