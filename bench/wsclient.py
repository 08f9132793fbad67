"""The load client: worker processes, each holding a share of the sockets.

A websocket client written for this one job on asyncio's Protocol, so that the client
is not the bottleneck on a 2-core machine: no per-frame JSON, no per-frame task, one
clock read per read from the socket. A frame is an event when it carries the write's
stamp (``bench-ts:<unix time>`` in the card title); its ``seq`` is found by a byte
search. Frames from the server are unmasked, and no compression is offered, so a frame
is a header and its bytes. Pings are answered; a close is noted.

Each worker runs its own event loop (uvloop when installed) and obeys commands from the
parent over a pipe: connect, set the seq window of a phase, report progress, report
results, close sockets, stop. The worker's own CPU time is reported, so the harness can
say what the client costs per delivery.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import multiprocessing.connection
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STAMP = b"bench-ts:"
SEQ = b'"seq":'
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def stamp_title(now: float | None = None) -> str:
    """Return a card title that carries its write time, for the clients to read back."""
    return f"bench-ts:{time.time() if now is None else now:.6f}"


def parse_event(payload: bytes) -> tuple[int, float] | None:
    """Return ``(seq, stamp)`` of an event frame, or None for any other frame.

    Only byte searches: the stamp marks an event, the first ``"seq":`` after the start
    is the event's own (the card payload has no seq; the frame's header comes first).
    """
    mark = payload.find(STAMP)
    if mark < 0:
        return None
    end = payload.find(b'"', mark)
    at = payload.find(SEQ)
    if at < 0 or end < 0:
        return None
    at += len(SEQ)
    while payload[at] == 0x20:
        at += 1
    stop = at
    while 0x30 <= payload[stop] <= 0x39:
        stop += 1
    return int(payload[at:stop]), float(payload[mark + len(STAMP) : end])


def client_frame(opcode: int, payload: bytes) -> bytes:
    """Return a masked client frame (RFC 6455 5.3: every client frame is masked)."""
    key = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    repeated = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big"
    )
    return header + key + masked


@dataclass
class Window:
    """The seq range a phase expects every socket to receive, and what arrived in it."""

    low: int = 1
    high: int = 0
    latencies: list[float] = field(default_factory=list)
    last_receipt: float = 0.0
    delivered: int = 0
    duplicates: int = 0
    frames: int = 0


class Socket(asyncio.Protocol):
    """One client socket: the handshake, then frames, counted against the window."""

    def __init__(self, window: Window, request: bytes, subscribe: bytes) -> None:
        self.window = window
        self.request = request
        self.subscribe = subscribe
        # asyncio's or uvloop's transport (uvloop's is no asyncio.Transport subclass).
        self.transport: Any = None
        self.buffer = b""
        self.open = False
        self.closed = False
        self.subscribed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.last_seq = 0
        self.got = 0  # events of the current window received

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.subscribed.done():
            self.subscribed.set_result(False)

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        if not self.open:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            if b" 101 " not in self.buffer[:16]:
                self._fail()
                return
            self.open = True
            self.buffer = self.buffer[head_end + 4 :]
            assert self.transport is not None
            self.transport.write(client_frame(OP_TEXT, self.subscribe))
        self._frames(time.time())

    def _frames(self, now: float) -> None:
        buffer = self.buffer
        start = 0
        size_all = len(buffer)
        while size_all - start >= 2:
            opcode = buffer[start] & 0x0F
            length = buffer[start + 1] & 0x7F
            head = 2
            if length == 126:
                if size_all - start < 4:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 4], "big")
                head = 4
            elif length == 127:
                if size_all - start < 10:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 10], "big")
                head = 10
            if size_all - start < head + length:
                break
            payload = buffer[start + head : start + head + length]
            start += head + length
            if opcode == OP_TEXT or opcode == 0:
                self._text(payload, now)
            elif opcode == OP_PING and self.transport is not None:
                self.transport.write(client_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self._fail()
                return
        self.buffer = buffer[start:] if start else buffer

    def _text(self, payload: bytes, now: float) -> None:
        window = self.window
        window.frames += 1
        event = parse_event(payload)
        if event is None:
            if not self.subscribed.done() and b'"subscribed"' in payload:
                self.subscribed.set_result(True)
            return
        seq, stamp = event
        if seq <= self.last_seq:
            window.duplicates += 1
            return
        self.last_seq = seq
        if window.low <= seq <= window.high:
            self.got += 1
            window.delivered += 1
            window.latencies.append(now - stamp)
            window.last_receipt = now

    def _fail(self) -> None:
        self.closed = True
        if not self.subscribed.done():
            self.subscribed.set_result(False)
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(client_frame(OP_CLOSE, struct.pack("!H", 1000)))
            self.transport.close()
        self.closed = True


def _factory(sock: Socket) -> Callable[[], Socket]:
    """Return the protocol factory of one already-built socket."""
    return lambda: sock


def handshake(host: str, port: int, path: str) -> bytes:
    """Return the HTTP upgrade request of a socket (no compression offered)."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://{host}:{port}\r\n\r\n"
    ).encode()


class Worker:
    """The sockets of one client process and the commands it answers."""

    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.window = Window()

    async def connect(self, command: dict[str, Any]) -> dict[str, Any]:
        """Open ``len(paths)`` sockets (spares replace failures) until each is subscribed."""
        loop = asyncio.get_running_loop()
        paths: list[str] = list(command["paths"])
        spares: list[str] = list(command.get("spares", []))
        host, port = command["host"], command["port"]
        subscribe = command["subscribe"].encode()
        deadline = time.monotonic() + command["timeout"]
        gate = asyncio.Semaphore(command["concurrency"])
        failures: dict[str, int] = {}
        started = time.monotonic()

        async def one(path: str) -> bool:
            while True:
                async with gate:
                    sock = Socket(self.window, handshake(host, port, path), subscribe)
                    try:
                        remaining = max(0.1, deadline - time.monotonic())
                        await asyncio.wait_for(
                            loop.create_connection(_factory(sock), host, port), remaining
                        )
                        remaining = max(0.1, deadline - time.monotonic())
                        ok = await asyncio.wait_for(asyncio.shield(sock.subscribed), remaining)
                        reason = "closed" if not ok else ""
                    except TimeoutError:
                        ok, reason = False, "timeout"
                    except OSError as error:
                        ok, reason = False, type(error).__name__
                if ok:
                    self.sockets.append(sock)
                    return True
                sock.close()
                failures[reason] = failures.get(reason, 0) + 1
                if not spares or time.monotonic() > deadline:
                    return False
                path = spares.pop()

        results = await asyncio.gather(*(one(p) for p in paths))
        return {
            "connected": sum(results),
            "failed": len(results) - sum(results),
            "failures": failures,
            "seconds": time.monotonic() - started,
            "open": self.open_count(),
        }

    def open_count(self) -> int:
        return sum(1 for s in self.sockets if not s.closed)

    def set_window(self, command: dict[str, Any]) -> dict[str, Any]:
        self.window.low, self.window.high = command["low"], command["high"]
        self.window.latencies = []
        self.window.delivered = self.window.duplicates = self.window.frames = 0
        self.window.last_receipt = 0.0
        for sock in self.sockets:
            sock.got = 0
        return {"ok": True}

    def progress(self) -> dict[str, Any]:
        expected = self.window.high - self.window.low + 1
        return {
            "delivered": self.window.delivered,
            "complete": sum(1 for s in self.sockets if s.got >= expected),
            "sockets": len(self.sockets),
            "last_receipt": self.window.last_receipt,
        }

    def report(self) -> dict[str, Any]:
        expected = self.window.high - self.window.low + 1
        missing = [max(0, expected - s.got) for s in self.sockets]
        return {
            **self.progress(),
            "expected": expected * len(self.sockets),
            "lost": sum(missing),
            "max_lost": max(missing, default=0),
            "sockets_missing": sum(1 for m in missing if m),
            "closed": sum(1 for s in self.sockets if s.closed),
            "duplicates": self.window.duplicates,
            "frames": self.window.frames,
            "latencies": self.window.latencies,
            "cpu": time.process_time(),
        }

    def close(self, command: dict[str, Any]) -> dict[str, Any]:
        count = command.get("count")
        chosen = self.sockets if count is None else self.sockets[:count]
        for sock in chosen:
            sock.close()
        self.sockets = self.sockets[len(chosen) :]
        return {"open": self.open_count()}


async def _serve(pipe: multiprocessing.connection.Connection) -> None:
    worker = Worker()
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def read_commands() -> None:
        # A blocking reader thread, not loop.add_reader: that makes the pipe non-blocking,
        # and a large command (thousands of ticket URLs) would then be read half-way.
        while True:
            try:
                command = pipe.recv()
            except (EOFError, OSError):
                command = {"op": "stop"}
            loop.call_soon_threadsafe(commands.put_nowait, command)
            if command["op"] == "stop":
                return

    threading.Thread(target=read_commands, daemon=True).start()

    def answer(reply: dict[str, Any]) -> None:
        try:
            pipe.send(reply)
        except OSError:
            pass  # the parent is gone

    while True:
        command = await commands.get()
        op = command["op"]
        if op == "stop":
            worker.close({})
            answer({"ok": True})
            return
        if op == "connect":
            reply = await worker.connect(command)
        elif op == "window":
            reply = worker.set_window(command)
        elif op == "progress":
            reply = worker.progress()
        elif op == "report":
            reply = worker.report()
        elif op == "close":
            reply = worker.close(command)
            await asyncio.sleep(0.2)  # let the close frames go out
        else:
            reply = {"error": f"unknown op {op}"}
        answer(reply)


def _main(pipe: multiprocessing.connection.Connection) -> None:
    try:
        import uvloop

        uvloop.run(_serve(pipe))
    except ImportError:
        asyncio.run(_serve(pipe))


class ClientPool:
    """The parent's handle on the worker processes: broadcast a command, gather replies."""

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for _ in range(workers):
            parent, child = context.Pipe()
            process = context.Process(target=_main, args=(child,), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def ask(self, commands: list[dict[str, Any]], timeout: float = 600) -> list[dict[str, Any]]:
        """Send one command to each worker (in order) and return their replies."""
        for pipe, command in zip(self.pipes, commands, strict=True):
            pipe.send(command)
        replies = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("a load-client worker did not answer")
            replies.append(pipe.recv())
        return replies

    def all(self, command: dict[str, Any], timeout: float = 600) -> list[dict[str, Any]]:
        """Send the same command to every worker."""
        return self.ask([command] * len(self.pipes), timeout)

    def connect(
        self,
        paths: list[str],
        spares: list[str],
        host: str,
        port: int,
        subscribe: str,
        timeout: float,
        concurrency: int = 64,
    ) -> dict[str, Any]:
        """Open the sockets, shared round-robin among the workers; return the totals."""
        count = len(self.pipes)
        commands = [
            {
                "op": "connect",
                "paths": paths[i::count],
                "spares": spares[i::count],
                "host": host,
                "port": port,
                "subscribe": subscribe,
                "timeout": timeout,
                "concurrency": concurrency,
            }
            for i in range(count)
        ]
        started = time.monotonic()
        replies = self.ask(commands, timeout + 30)
        failures: dict[str, int] = {}
        for reply in replies:
            for reason, n in reply["failures"].items():
                failures[reason] = failures.get(reason, 0) + n
        return {
            "seconds": time.monotonic() - started,
            "connected": sum(r["connected"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "failures": failures,
            "open": sum(r["open"] for r in replies),
        }

    def close_sockets(self) -> None:
        self.all({"op": "close"})

    def stop(self) -> None:
        """Stop the workers (their sockets close with them)."""
        for pipe in self.pipes:
            try:
                pipe.send({"op": "stop"})
            except OSError:
                pass
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
