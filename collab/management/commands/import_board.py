"""Management command: create a board from an export_board document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from collab.exceptions import CorkboardError
from collab.models import Membership, Role, Workspace
from collab.services.transfer import board_import

User = get_user_model()


class Command(BaseCommand):
    help = (
        "Create a new board in workspace --workspace from a JSON document written by "
        "export_board, acting as --as-user (default: the workspace's first owner), who "
        "must be an admin or owner there. Prints the new board's id; notes go to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON document written by export_board.")
        parser.add_argument("--workspace", type=int, required=True, help="Target workspace id.")
        parser.add_argument("--as-user", help="Username to import as (an admin or owner).")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(pk=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with id {options['workspace']}.")
        actor = self._actor(workspace, options["as_user"])
        data = self._load(options["file"])
        try:
            result = board_import(actor=actor, workspace_id=workspace.pk, data=data)
        except CorkboardError as error:
            raise CommandError(
                f"Nothing imported (as {actor.username}): {error.message}"
            ) from error
        self.stdout.write(str(result.board.pk))
        self.stderr.write(
            f"Imported board {result.board.pk} {result.board.title!r} into workspace "
            f"{workspace.pk} as {actor.username}: history starts at seq 1 with "
            f"{result.events} creation events.",
            style_func=str,
        )
        for note in result.notes:
            self.stderr.write(f"  note: {note}", style_func=str)

    def _actor(self, workspace: Workspace, username: str | None) -> Any:
        if username is None:
            owner = (
                Membership.objects.filter(
                    workspace=workspace, role=Role.OWNER, user__is_active=True
                )
                .select_related("user")
                .order_by("created_at", "pk")
                .first()
            )
            if owner is None:
                raise CommandError(f"Workspace {workspace.pk} has no active owner: use --as-user.")
            return owner.user
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        return user

    def _load(self, name: str) -> Any:
        try:
            return json.loads(Path(name).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {name}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{name} is not UTF-8 text.") from error
        except json.JSONDecodeError as error:
            where = f"line {error.lineno} column {error.colno}"
            raise CommandError(f"{name} is not valid JSON: {error.msg} at {where}.") from error
