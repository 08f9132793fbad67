"""Management command: revoke a leaked personal access token, or every token of a user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.models import ApiToken, User
from accounts.tokens import token_digest
from collab.services.tokens import token_revoke


def _find_token(reference: str) -> ApiToken:
    """Return the one token ``reference`` names: its id, its prefix or its whole plaintext."""
    match = Q(prefix=reference) | Q(digest=token_digest(reference))
    if reference.isdigit():
        match |= Q(pk=int(reference))
    tokens = list(ApiToken.objects.filter(match).select_related("user")[:5])
    if not tokens:
        raise CommandError(f"No token with the id, prefix or value {reference!r}.")
    if len(tokens) > 1:
        ids = ", ".join(str(token.pk) for token in tokens)
        raise CommandError(f"{reference!r} matches several tokens ({ids}): give the id.")
    return tokens[0]


def _tokens_of(username: str) -> list[ApiToken]:
    """Return the unrevoked tokens of the user named ``username``."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return list(user.api_tokens.filter(revoked_at__isnull=True).select_related("user"))


class Command(BaseCommand):
    help = (
        "Revoke a personal access token (by id, by the prefix the admin shows, or by its "
        "leaked plaintext), or with --all-for-user every token of a user. It stops working "
        "at once, its unspent socket tickets are void and its sockets close (4410)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "token", nargs="?", help="The token's id, prefix (cbp_ and 6 characters) or value."
        )
        parser.add_argument(
            "--all-for-user", metavar="USERNAME", help="Revoke every unrevoked token of this user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reference, username = options["token"], options["all_for_user"]
        if (reference is None) == (username is None):
            raise CommandError("Name one token, or a user with --all-for-user (not both).")
        tokens = _tokens_of(username) if username is not None else [_find_token(reference)]
        if not tokens:
            self.stdout.write(f"{username} has no unrevoked tokens.")
        for token in tokens:
            # Also for a token revoked already: the service closes its sockets again.
            note = " (it was already revoked)" if token.revoked_at is not None else ""
            token_revoke(actor=token.user, token_id=token.pk)
            self.stdout.write(f"Revoked token {token.pk}, {token}, of {token.user.username}{note}.")
