"""Export a board as a JSON document, and import such a document as a new board.

The document (``format`` :data:`FORMAT`, ``version`` :data:`VERSION`) holds the board's
title, description and lock, its columns, labels, cards (with their order keys, label
references, assignees by username, due dates, archived flag, author and times), its
visible comments (author by username) and its ``history``: every stored event with its
``seq``, ``type``, ``data``, ``actor`` and ``created_at``. Items refer to each other by
the ids they had on the exported board; those are references inside the document only.

An import creates everything with new ids, in one transaction, under the workspace lock
and then the new board's lock (the order of :mod:`collab.services.guards`). Its history
is new too: one ``column.created``, ``label.created``, ``card.created`` and
``comment.created`` event per item, seq 1..n, each carrying the new row exactly as the
REST API shows it, so that *empty board + events = snapshot* holds as for any board.
The exported ``history`` is validated but not replayed: its payloads name ids of the old
board (and of items deleted since), which no remapping can make true of the new one; the
document stays the record of it.

Hidden comments are left out of an export (moderated content is not copied), and the
history's comment bodies are the stored, already redacted ones. Users are matched by
username and never created: an assignee who is not a member of the target workspace is
dropped, as is a comment whose author has no account here; a card's unknown author is
left empty. Each such change is a note of the returned :class:`BoardImport`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.serializers import Serializer

from collab.event_types import (
    CARD_CREATED,
    COLUMN_CREATED,
    COMMENT_CREATED,
    LABEL_CREATED,
    REGISTRY,
    EventType,
)
from collab.events import lock_board, record_event
from collab.models import Board, Card, Column, Comment, Event, Label, Membership
from collab.permissions import Action, AnyUser
from collab.positions import OrderKeyError, key_between
from collab.representations import (
    CardSerializer,
    ColumnSerializer,
    CommentSerializer,
    LabelSerializer,
)
from collab.selectors import comment_prime_reactions
from collab.services import boards, cards
from collab.services.comments import MAX_BODY
from collab.services.guards import MAX_KEY_LENGTH, stored_user, workspace_for_write
from collab.validation import clean_color, clean_text, invalid

User = get_user_model()

FORMAT = "corkboard.board"
VERSION = 1


@dataclass
class BoardImport:
    """The new board, how many events its history starts with, and what was changed."""

    board: Board
    events: int
    notes: list[str] = field(default_factory=list)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def board_export(*, board_id: int) -> dict[str, Any]:
    """Return the board as a document of :data:`FORMAT` (NotFound for a missing board).

    The caller decides who may export (``manage.py export_board`` is the operator's).
    It reads under the board lock, so the document is one consistent state: a writer
    waits for the few queries it takes.
    """
    with transaction.atomic():
        board = lock_board(board_id)
        cards = (
            Card.objects.filter(board=board)
            .select_related("created_by")
            .prefetch_related("labels", "assignees")
            .order_by("column__position", "position")
        )
        comments = Comment.objects.filter(card__board=board, hidden=False).select_related("author")
        events = Event.objects.filter(board=board).select_related("actor").order_by("seq")
        return {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": _time(timezone.now()),
            "board": {
                "title": board.title,
                "description": board.description,
                "locked": board.locked,
            },
            "columns": [
                {"id": c.pk, "title": c.title, "position": c.position}
                for c in board.columns.order_by("position")
            ],
            "labels": [
                {"id": label.pk, "name": label.name, "color": label.color}
                for label in board.labels.order_by("name", "pk")
            ],
            "cards": [
                {
                    "id": card.pk,
                    "column": card.column_id,
                    "title": card.title,
                    "description": card.description,
                    "position": card.position,
                    "labels": sorted(label.pk for label in card.labels.all()),
                    "assignees": sorted(user.username for user in card.assignees.all()),
                    "due_at": _time(card.due_at),
                    "archived": card.archived,
                    "created_by": card.created_by.username if card.created_by else None,
                    "created_at": _time(card.created_at),
                    "updated_at": _time(card.updated_at),
                }
                for card in cards
            ],
            "comments": [
                {
                    "id": comment.pk,
                    "card": comment.card_id,
                    "author": comment.author.username,
                    "body": comment.body,
                    "created_at": _time(comment.created_at),
                    "edited_at": _time(comment.edited_at),
                }
                for comment in comments.order_by("created_at", "pk")
            ],
            "history": [
                {
                    "seq": event.seq,
                    "type": event.event,
                    "data": event.data,
                    "actor": event.actor.username if event.actor else None,
                    "created_at": _time(event.ts),
                }
                for event in events
            ],
        }


# --- Reading a document: every check before anything is written ---------------------

Item = dict[str, Any]
Items = list[tuple[str, Item]]  # (path in the document, item read)
Reader = Callable[[Any, str], Any]


def _at(path: str, key: str | int) -> str:
    """Return the path of ``key`` inside ``path``: ``cards[3]``, ``cards[3].title``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str, fields: Iterable[str]) -> Item:
    """Return ``value`` if it is an object with exactly ``fields``."""
    if not isinstance(value, dict):
        raise invalid(path or "document", "Must be an object.")
    fields = list(fields)
    if missing := [name for name in fields if name not in value]:
        raise invalid(_at(path, missing[0]), "This field is required.")
    if unknown := sorted(str(name) for name in value if name not in fields):
        raise invalid(_at(path, unknown[0]), "Unknown field.")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(path, "Must be a list.")
    return value


def _unique(keys: list[tuple[str, Any]]) -> None:
    """Refuse the first (path, key) whose key an earlier pair has."""
    seen: set[Any] = set()
    for path, key in keys:
        if key in seen:
            raise invalid(path, "Duplicate in this document.")
        seen.add(key)


def _id(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(path, "Must be a positive integer.")
    return value


def _flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(path, "Must be true or false.")
    return value


def _moment(value: Any, path: str) -> datetime:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such date: 2024-02-30
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise invalid(path, "Must be an ISO 8601 date and time with a UTC offset.")
    return moment


def _username(value: Any, path: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _length(User, "username"):
        raise invalid(path, "Must be a username.")
    return value


def _position(value: Any, path: str) -> str:
    if isinstance(value, str) and 0 < len(value) <= MAX_KEY_LENGTH:
        try:
            key_between(value, None)  # parses the key, as every later placement will
            return value
        except OrderKeyError:
            pass
    raise invalid(path, "Must be an order key (as exported).")


def _color(value: Any, path: str) -> str:
    return clean_color(value, field=path)


def _event_type(value: Any, path: str) -> str:
    if not isinstance(value, str) or value not in REGISTRY:
        raise invalid(path, "Not an event type of this Corkboard.")
    return value


def _data(value: Any, path: str) -> Item:
    if not isinstance(value, dict):
        raise invalid(path, "Must be an object.")
    return value


def _text(limit: int, *, multiline: bool = False, required: bool = True) -> Reader:
    """Read text by the services' rules (:func:`~collab.validation.clean_text`)."""
    return lambda value, path: clean_text(
        value, field=path, max_length=limit, required=required, multiline=multiline
    )


def _length(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


def _nullable(read: Reader) -> Reader:
    return lambda value, path: None if value is None else read(value, path)


def _list_of(read: Reader) -> Reader:
    def read_list(value: Any, path: str) -> list[Any]:
        items = [
            (_at(path, i), read(item, _at(path, i))) for i, item in enumerate(_list(value, path))
        ]
        _unique(items)
        return [item for _, item in items]

    return read_list


# Each object of the document: its fields, each with its reader, in document order.
_SCHEMA: dict[str, dict[str, Reader]] = {
    "board": {
        "title": _text(_length(Board, "title")),
        "description": _text(boards.DESCRIPTION_MAX_LENGTH, multiline=True, required=False),
        "locked": _flag,
    },
    "columns": {"id": _id, "title": _text(_length(Column, "title")), "position": _position},
    "labels": {"id": _id, "name": _text(_length(Label, "name")), "color": _color},
    "cards": {
        "id": _id,
        "column": _id,
        "title": _text(_length(Card, "title")),
        "description": _text(cards.DESCRIPTION_MAX_LENGTH, multiline=True, required=False),
        "position": _position,
        "labels": _list_of(_id),
        "assignees": _list_of(_username),
        "due_at": _nullable(_moment),
        "archived": _flag,
        "created_by": _nullable(_username),
        "created_at": _moment,
        "updated_at": _moment,
    },
    "comments": {
        "id": _id,
        "card": _id,
        "author": _username,
        "body": _text(MAX_BODY, multiline=True),
        "created_at": _moment,
        "edited_at": _nullable(_moment),
    },
    "history": {
        "seq": _id,
        "type": _event_type,
        "data": _data,
        "actor": _nullable(_username),
        "created_at": _moment,
    },
}
_LISTS = ("columns", "labels", "cards", "comments", "history")
_DOCUMENT = ("format", "version", "exported_at", "board", *_LISTS)


def _read(value: Any, path: str, kind: str) -> Item:
    """Return the object at ``path`` with each field of ``kind`` read and cleaned."""
    readers = _SCHEMA[kind]
    item = _object(value, path, readers)
    return {name: read(item[name], _at(path, name)) for name, read in readers.items()}


def _items(document: Item, kind: str) -> Items:
    values = _list(document[kind], kind)
    return [(_at(kind, i), _read(value, _at(kind, i), kind)) for i, value in enumerate(values)]


def _refs(items: Items, name: str, targets: Items, kind: str) -> None:
    """Refuse a reference in field ``name`` (an id or a list of ids) to none of ``targets``."""
    known = {target["id"] for _, target in targets}
    for path, item in items:
        value = item[name]
        refs = (
            [(_at(_at(path, name), i), ref) for i, ref in enumerate(value)]
            if isinstance(value, list)
            else [(_at(path, name), value)]
        )
        for where, ref in refs:
            if ref not in known:
                raise invalid(where, f"Not the id of one of the document's {kind}.")


def board_document_read(data: Any) -> dict[str, Any]:
    """Return the document checked and cleaned, or raise ValidationFailed naming the path.

    Checks every field's type and the services' text rules, that ids are unique and
    references point inside the document, and the history's order. Reads nothing from
    the database: users are matched at import, under the lock.
    """
    if not isinstance(data, dict):
        raise invalid("document", "Must be an object.")
    if data.get("format") != FORMAT:
        raise invalid("format", f"Must be {FORMAT!r}: this is not a Corkboard board export.")
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise invalid("version", f"Unsupported version; this Corkboard reads version {VERSION}.")
    _object(data, "", _DOCUMENT)
    _moment(data["exported_at"], "exported_at")
    document: dict[str, Any] = {"board": _read(data["board"], "board", "board")}
    for kind in _LISTS:
        document[kind] = _items(data, kind)
    columns, labels, cards = document["columns"], document["labels"], document["cards"]
    for kind in ("columns", "labels", "cards", "comments"):
        _unique([(_at(path, "id"), item["id"]) for path, item in document[kind]])
    _unique([(_at(path, "position"), item["position"]) for path, item in columns])
    _unique([(_at(path, "name"), item["name"]) for path, item in labels])
    # Two cards of one column may not share an order key (a database constraint).
    _unique([(_at(path, "position"), (item["column"], item["position"])) for path, item in cards])
    _refs(cards, "column", columns, "columns")
    _refs(cards, "labels", labels, "labels")
    _refs(document["comments"], "card", cards, "cards")
    seqs = [(_at(path, "seq"), item["seq"]) for path, item in document["history"]]
    for (_, previous), (path, seq) in pairwise(seqs):
        if seq <= previous:
            raise invalid(path, "Must be greater than the previous event's seq.")
    return document


# --- Writing the new board --------------------------------------------------------------


def board_import(*, actor: AnyUser, workspace_id: int, data: Any) -> BoardImport:
    """Create a board in the workspace from an exported document (admins and owners).

    The whole document is checked first (:func:`board_document_read`), so a bad one
    writes nothing; then every row is created in one transaction, with new ids and a new
    history of one creation event per item (see the module docstring). Rows are created
    in bulk, so the queries do not grow with the board, but the two per event.
    """
    document = board_document_read(data)
    with transaction.atomic():
        workspace_for_write(actor, workspace_id, Action.MANAGE_BOARD)
        users = _users(document, workspace_id)
        created = Board.objects.create(
            workspace_id=workspace_id, created_by=stored_user(actor), **document["board"]
        )
        result = BoardImport(board=lock_board(created.pk), events=0)
        for event, payload in _create_rows(result, document, users):
            record_event(board=result.board, event=event, data=payload, actor=actor)
            result.events += 1
    return result


@dataclass(frozen=True)
class _Users:
    """The document's users that have an account here, by username, and the members."""

    by_name: dict[str, Any]
    members: set[str]


def _users(document: dict[str, Any], workspace_id: int) -> _Users:
    """Read under the workspace lock, which guards memberships."""
    names = {name for _, card in document["cards"] for name in card["assignees"]}
    names |= {card["created_by"] for _, card in document["cards"] if card["created_by"]}
    names |= {comment["author"] for _, comment in document["comments"]}
    users = list(User.objects.filter(username__in=names))
    members = Membership.objects.filter(workspace_id=workspace_id, user__in=users)
    return _Users(
        by_name={user.username: user for user in users},
        members=set(members.values_list("user__username", flat=True)),
    )


def _create_rows(
    result: BoardImport, document: dict[str, Any], users: _Users
) -> list[tuple[EventType, Item]]:
    """Create the document's rows on the new, locked board; return their creation events."""
    board = result.board
    columns = {
        item["id"]: Column(board=board, title=item["title"], position=item["position"])
        for _, item in sorted(document["columns"], key=lambda pair: pair[1]["position"])
    }
    Column.objects.bulk_create(columns.values())
    labels = {
        item["id"]: Label(board=board, name=item["name"], color=item["color"])
        for _, item in document["labels"]
    }
    Label.objects.bulk_create(labels.values())
    cards = _create_cards(result, document["cards"], columns, labels, users)
    comments = _create_comments(result, document["comments"], cards, users)
    shown = Card.objects.filter(board=board).prefetch_related("labels", "assignees")
    # One serializer per list: building a serializer's fields costs more than a row.
    return [
        *((COLUMN_CREATED, data) for data in _shapes(ColumnSerializer, columns.values())),
        *((LABEL_CREATED, data) for data in _shapes(LabelSerializer, labels.values())),
        *((CARD_CREATED, data) for data in _shapes(CardSerializer, shown.order_by("pk"))),
        *((COMMENT_CREATED, data) for data in _shapes(CommentSerializer, comments)),
    ]


def _create_cards(
    result: BoardImport,
    items: Items,
    columns: dict[int, Column],
    labels: dict[int, Label],
    users: _Users,
) -> dict[int, Card]:
    """Create the cards with their labels and the assignees who are members here."""
    cards: dict[int, Card] = {}
    assigned: list[tuple[Card, Any]] = []
    for path, item in items:
        author = users.by_name.get(item["created_by"] or "")
        if item["created_by"] and author is None:
            result.notes.append(
                f"{path}.created_by: no user {item['created_by']!r} here; left empty."
            )
        copied = {name: item[name] for name in _COPIED}
        card = Card(board=result.board, column=columns[item["column"]], created_by=author, **copied)
        cards[item["id"]] = card
        for name in item["assignees"]:
            if name in users.members:
                assigned.append((card, users.by_name[name]))
            else:
                result.notes.append(
                    f"{path}.assignees: {name!r} is not a member of this workspace; dropped."
                )
    Card.objects.bulk_create(cards.values())
    Card.labels.through.objects.bulk_create(
        Card.labels.through(card_id=cards[item["id"]].pk, label_id=labels[ref].pk)
        for _, item in items
        for ref in item["labels"]
    )
    Card.assignees.through.objects.bulk_create(
        Card.assignees.through(card_id=card.pk, user_id=user.pk) for card, user in assigned
    )
    return cards


def _create_comments(
    result: BoardImport, items: Items, cards: dict[int, Card], users: _Users
) -> list[Comment]:
    """Create the comments whose authors have an account here."""
    comments = []
    for path, item in items:
        author = users.by_name.get(item["author"])
        if author is None:
            result.notes.append(f"{path}: no user {item['author']!r} here; comment not imported.")
            continue
        comments.append(
            Comment(
                card=cards[item["card"]],
                author=author,
                body=item["body"],
                created_at=item["created_at"],
                edited_at=item["edited_at"],
            )
        )
    # New comments have no reactions: representing them reads no rows.
    return [
        comment_prime_reactions(comment, []) for comment in Comment.objects.bulk_create(comments)
    ]


def _shapes(serializer: type[Serializer], rows: Iterable[Any]) -> list[Item]:  # type: ignore[type-arg]
    """Return each row as the REST API shows it."""
    return [dict(data) for data in serializer(list(rows), many=True).data]


# Card fields copied from the document as they are.
_COPIED = ("title", "description", "position", "due_at", "archived", "created_at", "updated_at")
