"""Writes to cards' collaborative descriptions (their Yjs documents, ``collab.docs``).

The truth is in PostgreSQL: a :class:`~collab.models.CardDoc` row (generation and
compacted snapshot) and its :class:`~collab.models.CardDocUpdate` rows. Every accepted
update is stored, under the document's row lock, before it is published to the
processes that have the document open (``realtime.docs``); a process that misses one
reads it back with :func:`doc_since`.

**Lock order**, after ``collab.services.guards``'s: the board (when the write takes
it: a REST edit of the description, the projection, a reset), then the document row.
A socket's update locks the document row only, and reads the actor's role and the
board's lock in that statement.

**Compaction**: once ``DOC_COMPACT_EVERY`` updates follow the snapshot, the next store
folds them into it and deletes them, so a load replays at most that many; the
projection (:func:`collab.services.cards.card_project_description`) compacts too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef
from django.utils import timezone

from collab import docs
from collab.exceptions import BoardLocked, Conflict, Forbidden, NotFound
from collab.models import Card, CardDoc, CardDocUpdate, Role
from collab.permissions import Action, AnyUser, allows, as_role, readable_boards, role_of, role_rank
from realtime.publish import publish_doc_reset, publish_doc_update

CARD_NOT_FOUND = "Card not found."


class StaleGeneration(Conflict):
    """The client's document belongs to an older generation: drop it and resync."""

    default_message = "This description was reset; reload it."

    def __init__(self, generation: str) -> None:
        super().__init__()
        self.generation = generation


@dataclass(frozen=True)
class Access:
    """What a user may do with a card's document."""

    card_id: int
    board_id: int
    writable: bool
    locked: bool


@dataclass
class Stored:
    """A document as stored: its generation, the seq it is at, and its parts in order."""

    generation: str
    seq: int
    parts: list[bytes] = field(default_factory=list)
    # Set by doc_since when the snapshot had to be read (updates were compacted away).
    from_snapshot: bool = False


def _writable(role: Role | None, locked: bool) -> bool:
    if not allows(role, Action.WRITE_CARDS):
        return False
    return not locked or role_rank(role) >= role_rank(Role.ADMIN)  # type: ignore[arg-type]


def doc_access(user: AnyUser, card_id: int) -> Access:
    """Return what ``user`` may do with the card's document; NotFound if they cannot read it.

    One query: the card among the user's readable boards, with their role and the lock.
    """
    found = (
        Card.objects.filter(pk=card_id, board__in=readable_boards(user))
        .order_by()
        .annotate(role=role_of(user, OuterRef("board__workspace_id")))
        .values_list("board_id", "board__locked", "role")
        .first()
    )
    if found is None:
        raise NotFound(CARD_NOT_FOUND)
    board_id, locked, role = found
    return Access(card_id, board_id, _writable(as_role(role), locked), locked)


def _ensure(card_id: int) -> None:
    """Create the card's document, seeded from its description, unless it exists."""
    if CardDoc.objects.filter(card_id=card_id).exists():
        return
    description = Card.objects.filter(pk=card_id).values_list("description", flat=True).first()
    if description is None:
        raise NotFound(CARD_NOT_FOUND)
    try:
        with transaction.atomic():
            generation = docs.new_generation()
            snapshot = docs.seeded(description, generation)
            CardDoc.objects.create(card_id=card_id, generation=generation, snapshot=snapshot)
    except IntegrityError:
        pass  # another process created it first: that one is the document


def doc_load(card_id: int) -> Stored:
    """Return the card's stored document, creating it from the description on first use.

    The updates are read before the row: a compaction that commits in between has put
    what it deleted into the snapshot read after it, so nothing falls in between.
    """
    _ensure(card_id)
    rows = list(CardDocUpdate.objects.filter(doc_id=card_id).values_list("seq", "data"))
    row = CardDoc.objects.filter(card_id=card_id).first()
    if row is None:
        raise NotFound(CARD_NOT_FOUND)
    updates = [(seq, bytes(data)) for seq, data in rows if seq > row.through_seq]
    seq = max([row.through_seq, *(seq for seq, _ in updates)])
    return Stored(row.generation, seq, [bytes(row.snapshot), *(data for _, data in updates)])


def doc_since(card_id: int, generation: str, after: int) -> Stored | None:
    """Return what a process at seq ``after`` of ``generation`` lacks; None if nothing.

    A different generation comes back whole (the caller resets); so does the snapshot
    when updates it needs were compacted away.
    """
    rows = list(
        CardDocUpdate.objects.filter(doc_id=card_id, seq__gt=after).values_list("seq", "data")
    )
    row = CardDoc.objects.filter(card_id=card_id).first()
    if row is None:
        raise NotFound(CARD_NOT_FOUND)
    if row.generation != generation:
        return doc_load(card_id)
    updates = [(seq, bytes(data)) for seq, data in rows]
    stored = Stored(generation, max([after, *(seq for seq, _ in updates)]))
    if row.through_seq > after:
        stored.parts.append(bytes(row.snapshot))
        stored.seq = max(stored.seq, row.through_seq)
        stored.from_snapshot = True
        updates = [(seq, data) for seq, data in updates if seq > row.through_seq]
    stored.parts.extend(data for _, data in updates)
    return stored if stored.parts else None


def doc_store(*, actor: AnyUser, card_id: int, generation: str, update: bytes) -> int:
    """Store a client's update of the card's document; return its seq.

    Refuses readers and a locked board (its admins excepted) with the REST errors, and
    a client of another generation with :class:`StaleGeneration`. Published to every
    process that has the document open once committed. Three queries (four when it
    compacts): the locked row with the actor's role, the update, the row.
    """
    with transaction.atomic():
        row = (
            CardDoc.objects.select_for_update(of=("self",))
            .defer("snapshot")  # read only by a compaction: not for every keystroke
            .filter(card_id=card_id, card__board__in=readable_boards(actor))
            .annotate(
                role=role_of(actor, OuterRef("card__board__workspace_id")),
                locked=F("card__board__locked"),
            )
            .first()
        )
        if row is None:
            raise NotFound(CARD_NOT_FOUND)
        role = as_role(row.role)  # type: ignore[attr-defined]
        if not _writable(role, row.locked):  # type: ignore[attr-defined]
            if allows(role, Action.WRITE_CARDS):
                raise BoardLocked()
            raise Forbidden("You can read this description but not edit it.")
        if row.generation != generation:
            raise StaleGeneration(row.generation)
        seq = _append(row, update, author_id=actor.pk)
    return seq


def _append(row: CardDoc, update: bytes, *, author_id: int | None) -> int:
    """Add an update after the row's head (row locked); compact past the threshold."""
    row.head_seq += 1
    CardDocUpdate.objects.create(doc=row, seq=row.head_seq, data=update, author_id=author_id)
    if row.head_seq - row.through_seq >= settings.DOC_COMPACT_EVERY:
        compact(row)
    else:
        row.save(update_fields=["head_seq"])
    transaction.on_commit(
        partial(publish_doc_update, row.card_id, row.generation, row.head_seq, update)
    )
    return row.head_seq


def compact(row: CardDoc) -> docs.Doc:
    """Fold the row's updates into its snapshot and delete them (row locked); return the doc."""
    updates = row.updates.filter(seq__gt=row.through_seq, seq__lte=row.head_seq).values_list(
        "data", flat=True
    )
    batch = [bytes(data) for data in updates]
    document = docs.load([bytes(row.snapshot), *batch], row.generation)
    # The document's state leaves out a deletion still waiting for the text it deletes
    # (updates that arrived out of order, e.g. between two tabs): the batch's own updates
    # are merged in with it, so such a deletion outlives one compaction.
    row.snapshot = docs.merged([docs.state(document), *batch])
    row.through_seq = row.head_seq
    row.compacted_at = timezone.now()
    row.save(update_fields=["head_seq", "snapshot", "through_seq", "compacted_at"])
    row.updates.filter(seq__lte=row.head_seq).delete()
    return document


def locked_doc(card_id: int) -> CardDoc | None:
    """Lock and return the card's document row, if it has one (after the board lock).

    The snapshot is read when used (a compaction, a diff), not with the lock.
    """
    return CardDoc.objects.select_for_update().defer("snapshot").filter(card_id=card_id).first()


def doc_merge_text(card_id: int, text: str, *, author_id: int | None) -> str:
    """Edit the card's document (if it has one) into ``text`` by a minimal diff.

    Call under the board lock. People editing keep their text and cursors: only the
    changed runs change, in one stored and published update. Returns the document's
    text, which is ``text``.
    """
    row = locked_doc(card_id)
    if row is None:
        return text
    if row.head_seq > row.through_seq:
        document = compact(row)
    else:
        document = docs.load([bytes(row.snapshot)], row.generation)
    update = docs.apply_text(document, text)
    if update:
        _append(row, update, author_id=author_id)
    return str(docs.text_of(document))


def doc_reset(row: CardDoc, text: str) -> str:
    """Start a new generation holding ``text`` (row locked, after the board lock).

    Every client of the old generation is told to drop its copy and load the new one,
    so two histories of the same text never merge (no doubled description).
    """
    row.generation = docs.new_generation()
    row.snapshot = docs.seeded(text, row.generation)
    row.through_seq = row.head_seq = 0
    row.compacted_at = timezone.now()
    row.save()
    row.updates.all().delete()
    transaction.on_commit(partial(publish_doc_reset, row.card_id, row.generation))
    return row.generation
