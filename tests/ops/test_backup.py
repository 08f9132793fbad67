"""The restore drill: bin/backup a live database, bin/restore it into a fresh one, compare.

Real PostgreSQL databases of their own (created and dropped here), real subprocesses:
``manage.py migrate``, the services, ``bin/backup`` and ``bin/restore`` exactly as an
operator runs them.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BACKUP = str(ROOT / "bin" / "backup")
RESTORE = str(ROOT / "bin" / "restore")

# Runs in a subprocess on the drill's database, after django.setup().
PRELUDE = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from accounts.models import User
from collab.models import Board, Card, Column, Comment, Membership, Role
from collab.representations import CommentSerializer, EventSerializer
from collab.selectors import board_snapshot, event_list
from collab.services.boards import board_create, board_set_locked, board_update
from collab.services.cards import card_archive, card_create, card_delete, card_move
from collab.services.columns import column_create, column_move
from collab.services.comments import comment_create, comment_set_hidden
from collab.services.labels import label_create
from collab.services.workspaces import member_add, workspace_create

def state():
    '''Every board as the API serves it: snapshot, event log (seq, type, data...), comments.'''
    boards = {}
    for board in Board.objects.order_by("pk"):
        owner = Membership.objects.filter(workspace_id=board.workspace_id, role=Role.OWNER)
        reader = owner.order_by("pk").first().user
        comments = Comment.objects.filter(card__board=board).select_related("author")
        boards[board.pk] = {
            "snapshot": board_snapshot(user=reader, board_id=board.pk),
            "events": EventSerializer(event_list(board_id=board.pk), many=True).data,
            "comments": CommentSerializer(comments.order_by("pk"), many=True).data,
        }
    return json.loads(json.dumps(boards, cls=DjangoJSONEncoder))
"""

SEED = """
call_command("seed_demo", verbosity=0)
alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
carol = User.objects.create_user("carol", password="drill-password-1")
team = workspace_create(actor=carol, name="Ops")
member_add(actor=carol, workspace_id=team.pk, username="bob", role="admin")
board = board_create(actor=carol, workspace_id=team.pk, title="Incidents", description="On call")
todo = column_create(actor=carol, board_id=board.pk, title="Open")
done = column_create(actor=bob, board_id=board.pk, title="Closed")
column_move(actor=bob, column_id=done.pk, before=todo.pk)
sev = label_create(actor=carol, board_id=board.pk, name="sev1", color="#FF0000")
cards = [card_create(actor=carol, column_id=todo.pk, title=f"Incident {i}", labels=[sev.pk],
                     assignees=[bob.pk] if i % 2 else []) for i in range(6)]
card_move(actor=bob, card_id=cards[0].pk, column_id=done.pk)
card_move(actor=bob, card_id=cards[5].pk, column_id=todo.pk, before=cards[1].pk)
card_archive(actor=bob, card_id=cards[2].pk)
note = comment_create(actor=bob, card_id=cards[1].pk, body="Paged the database team.")
rude = comment_create(actor=bob, card_id=cards[1].pk, body="Something rude")
comment_set_hidden(actor=carol, comment_id=rude.pk, hidden=True)
board_set_locked(actor=carol, board_id=board.pk, locked=True)
print(json.dumps(state()))
"""

MORE = """
alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
demo = Board.objects.get(title="Product launch")
doing = Column.objects.get(board=demo, title="Doing")
card = card_create(actor=alice, column_id=doing.pk, title="Written after the backup")
card_move(actor=bob, card_id=Card.objects.filter(board=demo).first().pk, column_id=doing.pk)
comment_create(actor=bob, card_id=card.pk, body="Also after the backup")
chosen = Card.objects.get(board=demo, title__startswith="Choose")
card_delete(actor=alice, card_id=chosen.pk)
board_update(actor=alice, board_id=demo.pk, title="Product launch (renamed later)")
board_create(actor=alice, workspace_id=demo.workspace_id, title="Created after the backup")
print(json.dumps(state()))
"""

STATE = "print(json.dumps(state()))"


@dataclass
class Database:
    """A PostgreSQL database of its own on the test server."""

    name: str
    url: str


def _server() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
    }


def _admin(sql: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **_server()) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def databases() -> Iterator[Callable[[], Database]]:
    """Create fresh databases on demand; drop every one of them at the end."""
    created: list[str] = []
    run = os.environ.get("CORKBOARD_TEST_RUN", "run")

    def create() -> Database:
        name = f"drill_{run}_{secrets.token_hex(3)}".lower()
        _admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        server = _server()
        credentials = quote(server["user"]) + (
            f":{quote(server['password'])}" if server["password"] else ""
        )
        return Database(name, f"postgres://{credentials}@{server['host']}:{server['port']}/{name}")

    yield create
    for name in created:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url: str) -> dict[str, str]:
    """The environment of the scripts and of Django on the drill's database.

    No Redis: the services' publishes go to the in-memory layer of a process that has no
    sockets, so the drill touches nothing of other test runs.
    """
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "CORKBOARD_ALLOW_INSECURE_KEY": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }


def run(command: list[str], url: str, *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command on the database at ``url``; with ``ok``, it must succeed."""
    result = subprocess.run(
        command, cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=120
    )
    if ok:
        assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def in_django(code: str, url: str) -> Any:
    """Run ``code`` after the drill's prelude; return the JSON it printed last."""
    result = run([sys.executable, "-c", PRELUDE + code], url)
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Seeded:
    """A migrated, seeded database, its backup, and its state at the backup."""

    database: Database
    dump: Path
    state: dict[str, Any]
    backup_output: str


@pytest.fixture(scope="module")
def seeded(databases: Callable[[], Database], tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    live = databases()
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], live.url)
    state = in_django(SEED, live.url)
    directory = tmp_path_factory.mktemp("backups")
    output = run([BACKUP, "--dir", str(directory)], live.url).stdout
    [dump] = directory.glob("corkboard-*.dump")
    return Seeded(live, dump, state, output)


def test_restore_drill(seeded: Seeded, databases: Callable[[], Database]) -> None:
    live, dump = seeded.database, seeded.dump
    assert {board["snapshot"]["board"]["title"] for board in seeded.state.values()} == {
        "Product launch",
        "Incidents",
    }
    assert (dump.parent / f"{dump.name}.sha256").read_text().split()[0] in seeded.backup_output
    later = in_django(MORE, live.url)
    assert later != seeded.state and len(later) == len(seeded.state) + 1

    fresh = databases()
    restored = run([RESTORE, str(dump), "--database-url", fresh.url], live.url)

    state = in_django(STATE, fresh.url)
    assert state.keys() == seeded.state.keys()
    for board_id, board in seeded.state.items():
        assert state[board_id]["snapshot"] == board["snapshot"], board_id
        assert state[board_id]["events"] == board["events"], board_id
        assert state[board_id]["comments"] == board["comments"], board_id
    assert "Written after the backup" not in json.dumps(state)
    # --force rolls the live database itself back to the backup.
    run([RESTORE, str(dump), "--force"], live.url)
    assert in_django(STATE, live.url) == seeded.state
    events = sum(len(board["events"]) for board in state.values())
    print(f"\n$ bin/backup --dir DIR\n{seeded.backup_output}")
    print(f"$ bin/restore DUMP --database-url postgres://.../{fresh.name}\n{restored.stdout}")
    print(f"drill: {len(state)} boards, {events} events: snapshots, event logs and comments equal")


def test_restore_refuses_a_damaged_or_unverified_dump(seeded: Seeded, tmp_path: Path) -> None:
    # No such database: every refusal below comes before bin/restore connects anywhere.
    target = seeded.database.url.rsplit("/", 1)[0] + "/drill_never_created"
    damaged = tmp_path / seeded.dump.name
    data = bytearray(seeded.dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    unverified = tmp_path / "unverified.dump"
    unverified.write_bytes(seeded.dump.read_bytes())
    (tmp_path / f"{damaged.name}.sha256").write_text(
        (seeded.dump.parent / f"{seeded.dump.name}.sha256").read_text()
    )
    text = tmp_path / "notes.txt"
    text.write_text("not a dump")
    live = seeded.database.url
    cases = [
        ([str(damaged)], target, "checksum mismatch"),
        ([str(unverified)], target, "no checksum file"),
        ([str(text), "--no-verify"], target, "is not a pg_dump custom-format archive"),
        ([str(tmp_path / "missing.dump")], target, "no such file"),
        ([], target, "which dump?"),
        ([str(seeded.dump)], live, "is not empty ("),
    ]
    for arguments, url, message in cases:
        result = run([RESTORE, *arguments, "--database-url", url], url, ok=False)
        assert result.returncode != 0 and message in result.stderr, (arguments, result.stderr)


def test_backup_keeps_the_newest_and_deletes_only_its_own_files(
    seeded: Seeded, tmp_path: Path
) -> None:
    old = [f"corkboard-2020010{day}T000000Z.dump" for day in range(1, 5)]
    others = ["notes.txt", "corkboard-manual.dump", "corkboard-20200101T000000Z.dump.bak"]
    for name in old + others:
        (tmp_path / name).write_bytes(b"x")
    for name in old:
        (tmp_path / f"{name}.sha256").write_text(f"{'0' * 64}  {name}\n")

    result = run([BACKUP, "--dir", str(tmp_path), "--keep", "2"], seeded.database.url)

    [new] = [p.name for p in tmp_path.glob("corkboard-2*.dump") if p.name not in old]
    kept = {old[-1], f"{old[-1]}.sha256", new, f"{new}.sha256", *others}
    assert {p.name for p in tmp_path.iterdir()} == kept
    assert [line for line in result.stdout.splitlines() if "removed" in line] == [
        f"  removed old backup {name}" for name in reversed(old[:-1])
    ]


def test_backup_fails_cleanly_and_explains(tmp_path: Path) -> None:
    closed = "postgres://postgres@127.0.0.1:1/nowhere"
    failed = run([BACKUP, "--dir", str(tmp_path / "out")], closed, ok=False)
    assert failed.returncode != 0 and "no backup was written" in failed.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no temporary file left behind
    cases = [
        ("sqlite:///db.sqlite3", ["--dir", str(tmp_path)], "is a SQLite file"),
        (closed, ["--keep", "0"], "--keep must be a whole number of 1 or more"),
        (closed, ["--keep", "x"], "--keep must be a whole number"),
        (closed, ["--frobnicate"], "unknown argument: --frobnicate"),
    ]
    for url, arguments, message in cases:
        result = run([BACKUP, *arguments], url, ok=False)
        assert result.returncode != 0 and message in result.stderr, (arguments, result.stderr)
    for script in (BACKUP, RESTORE):
        shown = run([script, "--help"], closed)
        assert shown.stdout.startswith("Usage: bin/")
