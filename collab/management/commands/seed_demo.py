"""Management command: seed a demo workspace and board with two users and an admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from collab.models import Board, Role
from collab.services.boards import board_create
from collab.services.cards import card_create
from collab.services.columns import column_create
from collab.services.comments import comment_create
from collab.services.labels import label_create
from collab.services.workspaces import member_add, workspace_create

User = get_user_model()

DEMO_PASSWORD = "corkboard-demo"  # noqa: S105 - published on purpose: demo accounts
ADMIN_PASSWORD = "corkboard-admin"  # noqa: S105
WORKSPACE_NAME = "Demo team"
BOARD_TITLE = "Product launch"

LABELS = [("design", "#8e44ad"), ("backend", "#2980b9"), ("urgent", "#c0392b")]

# (column, title, description, labels, assignees, due in days)
CARDS: list[tuple[str, str, str, list[str], list[str], int | None]] = [
    ("To do", "Write the launch announcement", "Blog post and newsletter.", [], ["alice"], 7),
    ("To do", "Prepare the demo video", "", ["design"], ["bob"], 10),
    ("To do", "Load-test the websocket servers", "Two Daphne processes.", ["backend"], [], None),
    ("Doing", "Design the pricing page", "**Three** plans.", ["design"], ["alice"], 3),
    ("Doing", "Fix the login throttling bug", "", ["backend", "urgent"], ["bob"], 1),
    ("Doing", "Invite the beta testers", "", [], ["alice", "bob"], None),
    ("Done", "Choose the launch date", "", [], ["alice"], None),
    ("Done", "Set up the status page", "", ["backend"], ["bob"], None),
]

COMMENTS = [
    ("Design the pricing page", "bob", "Can we show yearly prices too?"),
    ("Design the pricing page", "alice", "Yes, with a toggle."),
    ("Fix the login throttling bug", "alice", "Seen on staging as well."),
]


class Command(BaseCommand):
    help = (
        "Create the demo users (alice, bob; admin as superuser) and the 'Product launch' "
        "board through the services. Safe to run again: existing data is left alone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = self._ensure_users()
            if Board.objects.filter(title=BOARD_TITLE, workspace__name=WORKSPACE_NAME).exists():
                self.stdout.write(f"The demo board '{BOARD_TITLE}' exists already; nothing to do.")
            else:
                self._seed_board(users)
                self.stdout.write(self.style.SUCCESS(f"Created the demo board '{BOARD_TITLE}'."))
        self.stdout.write(
            f"Demo logins: alice / {DEMO_PASSWORD}, bob / {DEMO_PASSWORD}; "
            f"admin (superuser): admin / {ADMIN_PASSWORD}"
        )

    def _ensure_users(self) -> dict[str, Any]:
        """Create the demo accounts that are missing; never touch existing ones."""
        users: dict[str, Any] = {}
        for username in ("alice", "bob"):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
                )
                self.stdout.write(f"Created user {username}.")
            users[username] = user
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser(
                username="admin", email="admin@example.com", password=ADMIN_PASSWORD
            )
            self.stdout.write("Created superuser admin.")
        return users

    def _seed_board(self, users: dict[str, Any]) -> None:
        """Build the demo workspace and board as alice would, one service call at a time."""
        alice = users["alice"]
        workspace = workspace_create(actor=alice, name=WORKSPACE_NAME)
        member_add(actor=alice, workspace_id=workspace.pk, username="bob", role=Role.MEMBER)
        board = board_create(
            actor=alice,
            workspace_id=workspace.pk,
            title=BOARD_TITLE,
            description="Everything we need to ship the launch.",
        )
        columns = {
            title: column_create(actor=alice, board_id=board.pk, title=title).pk
            for title in ("To do", "Doing", "Done")
        }
        labels = {
            name: label_create(actor=alice, board_id=board.pk, name=name, color=color).pk
            for name, color in LABELS
        }
        now = timezone.now()
        cards: dict[str, int] = {}
        for column, title, description, label_names, assignees, due_days in CARDS:
            card = card_create(
                actor=alice,
                column_id=columns[column],
                title=title,
                description=description,
                labels=[labels[name] for name in label_names],
                assignees=[users[name].pk for name in assignees],
                due_at=now + timedelta(days=due_days) if due_days is not None else None,
            )
            cards[title] = card.pk
        for card_title, author, body in COMMENTS:
            comment_create(actor=users[author], card_id=cards[card_title], body=body)
