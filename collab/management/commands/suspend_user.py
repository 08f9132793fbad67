"""Management command: suspend (or reactivate) a user everywhere, through moderation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from collab.exceptions import CorkboardError
from collab.services.moderation import moderate_user


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user


def _moderator(username: str | None) -> User:
    """Return who the moderation log records: ``--as-user``, else the only superuser."""
    if username is not None:
        return _user(username)
    superusers = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
    if len(superusers) != 1:
        raise CommandError(
            "Name the moderator the log records with --as-user "
            "(there is not exactly one active superuser)."
        )
    return superusers[0]


class Command(BaseCommand):
    help = (
        "Suspend a user (their sessions end, tokens stop working, open sockets close with "
        "4403), or --reactivate them, through the moderation service: the action is recorded "
        "in the moderation log with the reason, as done by --as-user (default: the only "
        "superuser)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why; kept in the moderation log.")
        parser.add_argument("--reactivate", action="store_true", help="Lift a suspension instead.")
        parser.add_argument(
            "--as-user", metavar="MODERATOR", help="The moderator or superuser acting."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user, active = _user(options["username"]), options["reactivate"]
        state = "active" if active else "suspended"
        if user.is_active == active:
            self.stdout.write(f"{user.username} is already {state}; nothing done.")
            return
        moderator = _moderator(options["as_user"])
        try:
            moderate_user(actor=moderator, user_id=user.pk, active=active, reason=options["reason"])
        except CorkboardError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{user.username} is now {state} (recorded as by {moderator.username}).")
