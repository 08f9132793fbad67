"""Create a personal access token for a user from the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from collab.exceptions import CorkboardError
from collab.services.tokens import token_create


class Command(BaseCommand):
    help = "Create a personal access token and print its plaintext (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A name to recognise the token by.")
        parser.add_argument(
            "--scopes", default="read,write", help="Comma-separated: read, write (default both)."
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Expire after this many days."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user named {options['username']!r}.")
        days = options["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            _, plaintext = token_create(
                actor=user, name=options["name"], scopes=scopes, expires_at=expires_at
            )
        except CorkboardError as error:
            raise CommandError(error.message) from error
        self.stdout.write(plaintext)
