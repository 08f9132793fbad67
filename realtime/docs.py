"""Rooms: this process's one authoritative copy of each open card document.

A room holds the card's Yjs document (loaded from PostgreSQL), the local sockets
editing it, and the awareness (cursors) of every client seen, here or in another
process. It joins the card's channel-layer group (:func:`realtime.groups.doc_group`)
through the hub:

- an update from a local socket is checked against a copy of the document (it decodes,
  the text stays valid), stored (``collab.services.docs.doc_store``, which publishes it
  to every process once committed), then applied and written to the other local
  sockets; stores are serialised per room, so they are applied in seq order;
- an update another process stored arrives as ``doc.update`` and is applied once (by
  seq); a dropped one is read back from the database by the room's sweep, which also
  notices a new generation (``doc.reset``: every socket is closed with 4409);
- awareness is relayed as it comes (never stored), with the ``user`` of each state
  set by the server to the socket's user; a socket's states are removed, here and
  everywhere, the moment it closes;
- the text is projected into ``Card.description`` once edits settle
  (``DOC_PROJECT_SECONDS``, at most every ``_PROJECT_AT_MOST_EVERY`` while typing goes
  on) and when the last local editor leaves; then the room closes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from django.conf import settings

from collab import docs
from collab.services.cards import DESCRIPTION_MAX_LENGTH, card_project_description
from collab.services.docs import Stored, doc_load, doc_since, doc_store
from collab.validation import clean_text
from realtime import hub as hubs
from realtime import outage, ywire
from realtime.db import db_read
from realtime.groups import doc_group

if TYPE_CHECKING:
    from realtime.doc_consumer import DocConsumer

logger = logging.getLogger(__name__)

# While people keep typing, the text still reaches Card.description this often.
_PROJECT_AT_MOST_EVERY = 10.0
# y-protocols drops a remote state not renewed for 30 s (clients renew every 15 s).
_AWARENESS_TIMEOUT = 30.0
# Client ids one socket may announce awareness for (a tab that reloaded its doc).
_CLIENTS_PER_SOCKET = 4


def colour_of(user_id: int) -> tuple[str, str]:
    """Return a user's cursor colour and its light variant, the same everywhere."""
    hue = int(hashlib.sha256(str(user_id).encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue} 70% 40%)", f"hsl({hue} 70% 40% / 0.2)"


class Room:
    """One open card document in this process."""

    def __init__(self, card_id: int, stored: Stored) -> None:
        self.card_id = card_id
        self.group = doc_group(card_id)
        self.sockets: set[DocConsumer] = set()
        self.closed = False
        self._load(stored)
        # client id -> (clock, state, owning local socket or None, when it was renewed)
        self.awareness: dict[int, tuple[int, Any, DocConsumer | None, float]] = {}
        self._store_lock = asyncio.Lock()
        self._editor: Any = None
        self._dirty_since: float | None = None
        self._projection: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._sweeper = asyncio.ensure_future(self._sweep())

    def _load(self, stored: Stored) -> None:
        self.generation = stored.generation
        self.doc = docs.load(stored.parts)
        self.seq = stored.seq
        self.seen: set[int] = set()
        self._changes: list[bytes] = []
        self.doc.observe(lambda event: self._changes.append(event.update))

    def _integrate(self, update: bytes, *, exclude: DocConsumer | None) -> None:
        """Apply an update and write the sockets what it changed in this document.

        What changed, not the update as received: a deletion that arrived before the
        text it deletes changes nothing yet (and a sync step 2 would not carry it); it
        goes out with the update that brings that text.
        """
        self._changes.clear()
        docs.apply(self.doc, update)
        for change in self._changes:
            self._write(ywire.sync(ywire.UPDATE, change), exclude=exclude)
        self._changes.clear()

    # Hub side (the hub calls these as for any group member).

    def control(self, kind: str) -> None:
        """Rooms are not closed by control groups (their sockets are)."""

    def notification(self, frame: str) -> None:
        """Rooms receive no notifications."""

    def doc_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "doc.update":
            if message["generation"] == self.generation:
                self._apply(message["seq"], bytes(message["update"]))
            else:
                self._background(self.catch_up())
        elif kind == "doc.reset":
            if message["generation"] != self.generation:
                self._background(self.catch_up())
        elif kind == "doc.awareness" and message.get("origin") != self._origin():
            entries = ywire.parse_awareness(bytes(message["update"]))
            self._awareness(entries, owner=None)
            self._write(ywire.awareness(entries), exclude=None)

    def _origin(self) -> str:
        hub = hubs.current()
        return hub.channel if hub is not None else ""

    # Updates.

    def _apply(self, seq: int, update: bytes, *, exclude: DocConsumer | None = None) -> None:
        """Apply a stored update once (by seq) and write it to the local sockets."""
        if seq <= self.seq or seq in self.seen:
            return
        try:
            self._integrate(update, exclude=exclude)
        except docs.BadUpdate:
            logger.exception("card %s: stored update %s does not decode", self.card_id, seq)
        self.seen.add(seq)
        while self.seq + 1 in self.seen:
            self.seq += 1
            self.seen.discard(self.seq)

    async def store(self, socket: DocConsumer, update: bytes) -> bool:
        """Check, store and fan out a socket's update; False if it added nothing.

        Raises ``collab.docs.BadUpdate``, the domain errors of ``doc_store``, or
        ``ValidationFailed`` for text that is not valid (too long, control characters).
        """
        async with self._store_lock:
            current = docs.state(self.doc)
            text = docs.probe(current, update)[1]
            if update == docs.EMPTY_UPDATE:
                return False
            # Stored even when the state looks unchanged: a deletion of text this
            # document has not received yet waits, unseen by the state, until it comes.
            clean_text(
                text, field="description", max_length=DESCRIPTION_MAX_LENGTH,
                required=False, multiline=True,
            )  # fmt: skip
            seq = await db_read(doc_store)(
                actor=socket.user, card_id=self.card_id, generation=self.generation, update=update
            )
            self._apply(seq, update, exclude=socket)
        self._editor = socket.user
        self._schedule_projection()
        return True

    async def catch_up(self) -> None:
        """Read what this room lacks from the database (a dropped publish, a reset)."""
        try:
            stored = await db_read(doc_since)(self.card_id, self.generation, self.seq)
        except Exception as error:
            outage.report("reading a card document's updates", error)
            return
        if stored is None or self.closed:
            return
        if stored.generation != self.generation:
            self._load(stored)
            for socket in list(self.sockets):
                socket.reset(self.generation)
            return
        for part in stored.parts:
            self._integrate(part, exclude=None)
        self.seq = stored.seq
        self.seen = {seq for seq in self.seen if seq > self.seq}

    async def _sweep(self) -> None:
        period = float(settings.REALTIME_SWEEP_SECONDS)
        checks = max(1, round(float(settings.DOC_ACCESS_CHECK_SECONDS) / period))
        tick = 0
        while not self.closed:
            await asyncio.sleep(period)
            tick += 1
            try:
                await self.catch_up()
                if tick % checks == 0:
                    for socket in list(self.sockets):
                        await socket.check_access()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                outage.report("a card document's sweep", error)

    # Projection into Card.description.

    def _schedule_projection(self) -> None:
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        delay = min(
            float(settings.DOC_PROJECT_SECONDS),
            max(0.0, self._dirty_since + _PROJECT_AT_MOST_EVERY - now),
        )
        if self._projection is not None:
            self._projection.cancel()
        loop = asyncio.get_running_loop()
        self._projection = loop.call_later(delay, lambda: self._background(self.project()))

    async def project(self) -> None:
        """Write the document's text into ``Card.description``, if anything changed."""
        if self._projection is not None:
            self._projection.cancel()
            self._projection = None
        if self._dirty_since is None or self._editor is None:
            return
        self._dirty_since = None
        try:
            await db_read(card_project_description)(actor=self._editor, card_id=self.card_id)
        except Exception as error:
            # Lost rights, a deleted card, a database outage: the text stays in the
            # document; the next edit, or the next editor leaving, projects it.
            outage.report("writing a description to its card", error)

    # Sockets.

    def add(self, socket: DocConsumer) -> None:
        self.sockets.add(socket)

    async def remove(self, socket: DocConsumer) -> None:
        """Take a socket out: its cursors go at once; the last one out projects, closes."""
        self.sockets.discard(socket)
        gone = [
            ywire.AwarenessEntry(client, clock + 1, None)
            for client, (clock, _, owner, _) in list(self.awareness.items())
            if owner is socket
        ]
        if gone:
            self._awareness(gone, owner=socket)
            self._write(ywire.awareness(gone), exclude=None)
            await self.relay_awareness(gone)
        if not self.sockets:
            await self.project()
            if not self.sockets:
                await close(self)

    def _write(self, data: bytes, *, exclude: DocConsumer | None) -> None:
        for socket in list(self.sockets):
            if socket is not exclude:
                socket.push(data)

    # Awareness.

    def accept_awareness(
        self, socket: DocConsumer, entries: list[ywire.AwarenessEntry]
    ) -> list[ywire.AwarenessEntry]:
        """Keep a socket's awareness states, the user set by the server; return them."""
        colour, light = colour_of(socket.user.pk)
        user = {"id": socket.user.pk, "name": socket.user.username}
        user |= {"color": colour, "colorLight": light}
        accepted = []
        for entry in entries:
            owned = self.awareness.get(entry.client)
            if owned is not None and owned[2] is not socket:
                continue  # another socket's client: nobody speaks for someone else
            if owned is None and len(socket.clients) >= _CLIENTS_PER_SOCKET:
                continue
            state = entry.state
            if isinstance(state, dict):
                state = {**state, "user": user}
            elif state is not None:
                continue
            socket.clients.add(entry.client)
            accepted.append(ywire.AwarenessEntry(entry.client, entry.clock, state))
        self._awareness(accepted, owner=socket)
        if accepted:
            # To the sender too, as y-websocket servers do: a provider that hears
            # nothing for 30 s takes its socket for dead and reconnects.
            self._write(ywire.awareness(accepted), exclude=None)
        return accepted

    def _awareness(self, entries: list[ywire.AwarenessEntry], *, owner: DocConsumer | None) -> None:
        now = time.monotonic()
        for entry in entries:
            if entry.state is None:
                self.awareness.pop(entry.client, None)
            else:
                self.awareness[entry.client] = (entry.clock, entry.state, owner, now)

    def awareness_frame(self) -> bytes | None:
        """Return every live state this room knows, for a socket that just connected."""
        now = time.monotonic()
        entries = [
            ywire.AwarenessEntry(client, clock, state)
            for client, (clock, state, _, renewed) in self.awareness.items()
            if now - renewed < _AWARENESS_TIMEOUT
        ]
        return ywire.awareness(entries) if entries else None

    async def relay_awareness(self, entries: list[ywire.AwarenessEntry]) -> None:
        """Send awareness states to the other processes (best effort, never stored)."""
        hub = hubs.current()
        if not entries or hub is None:
            return
        message = {
            "type": "doc.awareness",
            "card": self.card_id,
            "origin": hub.channel,
            "update": ywire.awareness_update(entries),
            "group": self.group,
        }
        try:
            await hub.layer.group_send(self.group, message)
        except Exception as error:
            outage.report("relaying awareness", error)

    def _background(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_rooms: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Room]] = (
    weakref.WeakKeyDictionary()
)
_opening: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _local() -> dict[int, Room]:
    return _rooms.setdefault(asyncio.get_running_loop(), {})


async def open_room(card_id: int) -> Room:
    """Return this process's room of the card, loading the document on first use."""
    rooms = _local()
    room = rooms.get(card_id)
    if room is not None and not room.closed:
        return room
    locks = _opening.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(card_id, asyncio.Lock())
    async with lock:
        room = rooms.get(card_id)
        if room is None or room.closed:
            hub = await hubs.get()
            room = Room(card_id, await db_read(doc_load)(card_id))
            rooms[card_id] = room
            await hub.join(room.group, room)
            # Joined after the load: what was stored meanwhile is read back now.
            await room.catch_up()
    locks.pop(card_id, None)
    return room


async def close(room: Room) -> None:
    room.closed = True
    room._sweeper.cancel()
    if _local().get(room.card_id) is room:
        del _local()[room.card_id]
    hub = hubs.current()
    if hub is not None:
        hub.leave(room.group, room)


def open_rooms() -> dict[int, Room]:
    """Return this process's open rooms (for tests and metrics)."""
    return dict(_local())


def open_sockets() -> list[DocConsumer]:
    """Return every description socket of this process (a stopping server closes them)."""
    return [socket for room in _local().values() for socket in room.sockets]
