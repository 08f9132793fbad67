"""Writing frames to a socket: one encode per event, then a buffer write per socket.

A board event's frame is built once per process (:class:`Frame`); what each socket
costs is a write. Under Daphne the socket's Twisted transport is reachable from the
ASGI ``send`` callable, and a server-to-client text frame is fixed bytes (no masking;
Daphne negotiates no compression), so :class:`TransportWriter` writes the frame's
wire bytes straight to the transport and reads how much is still unsent. Under any
other server :class:`QueueWriter` hands frames to the ASGI ``send`` in order from one
task per socket, counting what is queued. Either way ``buffered()`` is the socket's
backlog in bytes, which the hub (:mod:`realtime.hub`) compares with
``WS_SEND_BUFFER_BYTES`` to take a slow socket out of live delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from collab.streams import event_block

Send = Callable[[dict[str, Any]], Awaitable[None]]

_OPCODE_TEXT_FIN = 0x81


def text_frame(payload: bytes) -> bytes:
    """Return an unmasked, unfragmented RFC 6455 text frame carrying ``payload``."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _OPCODE_TEXT_FIN, size)
    elif size < 65_536:
        header = struct.pack("!BBH", _OPCODE_TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _OPCODE_TEXT_FIN, 127, size)
    return header + payload


class Frame:
    """One message for many sockets: its text, and its wire bytes built on first use."""

    __slots__ = ("_sse", "_wire", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._wire: bytes | None = None
        self._sse: bytes | None = None

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = text_frame(self.text.encode())
        return self._wire

    @property
    def sse(self) -> bytes:
        """Return the event stream's block for this frame (empty: not for the stream)."""
        if self._sse is None:
            self._sse = event_block(self.text) or b""
        return self._sse


class Writer(Protocol):
    def write(self, frame: Frame) -> bool:
        """Write (or queue) a frame; False if the socket is closing."""
        ...

    def buffered(self) -> int:
        """Return the bytes written to this socket and not yet sent."""
        ...

    async def flush(self, timeout: float) -> None:
        """Wait until what was written has been handed to the server (at most timeout)."""
        ...


class TransportWriter:
    """Daphne: write frames to the socket's Twisted transport, skipping the ASGI hops."""

    __slots__ = ("protocol", "transport")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.transport = protocol.transport

    def write(self, frame: Frame) -> bool:
        if self.protocol.state != self.protocol.STATE_OPEN:
            return False
        self.transport.write(frame.wire)
        return True

    def buffered(self) -> int:
        transport = self.transport
        # Twisted's FileDescriptor: a buffer being sent from ``offset``, plus new writes.
        try:
            pending = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        except AttributeError:  # another transport (a TLS wrapper): nothing to read
            return 0
        return int(pending)

    async def flush(self, timeout: float) -> None:
        return None  # writes are already on the transport, in order with the close


class QueueWriter:
    """Any ASGI server: one task per socket hands queued frames to ``send`` in order."""

    __slots__ = ("closed", "queue", "queued", "send", "task")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.queue: deque[Frame] = deque()
        self.queued = 0
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def write(self, frame: Frame) -> bool:
        if self.closed:
            return False
        self.queue.append(frame)
        self.queued += len(frame.text)
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())
        return True

    def buffered(self) -> int:
        return self.queued

    async def _drain(self) -> None:
        try:
            while self.queue:
                frame = self.queue.popleft()
                self.queued -= len(frame.text)
                try:
                    await self.send({"type": "websocket.send", "text": frame.text})
                except Exception:  # the socket went away: its disconnect cleans up
                    self.closed = True
                    self.queue.clear()
                    self.queued = 0
        finally:
            self.task = None

    async def flush(self, timeout: float) -> None:
        task = self.task
        if task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout)


class StreamWriter:
    """An event stream's response body: SSE blocks handed to ``send`` in order by one task.

    Takes the hub's frames (written as their :attr:`Frame.sse` block; presence is not
    part of the stream) and blocks of its own (heartbeats, resync); :meth:`end` ends
    the response after what is queued.
    """

    __slots__ = ("closed", "queue", "queued", "send", "task")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.queue: deque[bytes | None] = deque()
        self.queued = 0
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def write(self, frame: Frame) -> bool:
        block = frame.sse
        return self.write_block(block) if block else not self.closed

    def write_block(self, block: bytes | None) -> bool:
        """Queue a block (``None`` ends the body); False if the stream is ending."""
        if self.closed:
            return False
        self.closed = block is None
        self.queue.append(block)
        self.queued += len(block or b"")
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())
        return True

    def end(self) -> None:
        """End the response once what is queued has been sent."""
        self.write_block(None)

    def buffered(self) -> int:
        return self.queued

    async def _drain(self) -> None:
        try:
            while self.queue:
                block = self.queue.popleft()
                self.queued -= len(block or b"")
                message = {"type": "http.response.body", "body": block or b""}
                try:
                    await self.send({**message, "more_body": block is not None})
                except Exception:  # the client went away: the stream ends
                    self.closed = True
                    self.queue.clear()
                    self.queued = 0
        finally:
            self.task = None

    async def flush(self, timeout: float) -> None:
        task = self.task
        if task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout)


def writer_for(send: Send) -> Writer:
    """Return the cheapest writer for a socket's ASGI ``send`` callable."""
    # Daphne's send is ``partial(server.handle_reply, protocol)``.
    if isinstance(send, partial) and send.args:
        protocol = send.args[0]
        if hasattr(protocol, "transport") and hasattr(protocol, "STATE_OPEN"):
            perms = getattr(protocol, "websocket_extensions_in_use", None) or []
            if not perms:  # a compressed socket needs autobahn's framing
                return TransportWriter(protocol)
    return QueueWriter(send)
