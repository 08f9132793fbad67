"""Graceful stop under Daphne: SIGTERM drains the process instead of dropping it.

Twisted's own SIGTERM handler stops the reactor at once: Daphne cancels every
application instance (in-flight requests get no answer) and clients see 1006. Here
SIGTERM (and SIGINT) instead stops accepting connections, closes every websocket with
1012 (service restart: reconnect elsewhere now), lets in-flight HTTP requests finish,
and then stops the reactor, within ``REALTIME_SHUTDOWN_GRACE_SECONDS``. A second signal
stops at once. It also lets Daphne send 1013 (try again later), with which a process
holding ``WS_MAX_SOCKETS`` refuses more. Under any other server :func:`install` does
nothing.
"""

from __future__ import annotations

import asyncio
import logging
import pprint
import sys
import time
from typing import Any

from django.conf import settings

from realtime import docs, sweep

logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
# A process holding WS_MAX_SOCKETS refuses more with this (realtime.consumers).
CLOSE_TRY_AGAIN_LATER = 1013
# RFC 6455's registry (IANA) assigns these; autobahn's ``sendClose`` refuses them.
_REGISTRY_CODES = frozenset({CLOSE_SERVICE_RESTART, CLOSE_TRY_AGAIN_LATER})

Scope = dict[str, Any]


class InFlightRequests:
    """ASGI middleware counting this process's HTTP requests still being answered."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        self.count += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.count -= 1


def _allow_registry_codes() -> None:
    """Let Daphne send 1012 and 1013, which autobahn's ``sendClose`` refuses.

    It takes only 1000 and 3000-4999; RFC 6455's registry (IANA) assigns 1012 "Service
    Restart" and 1013 "Try Again Later". The lower-level ``sendCloseFrame`` sends
    them, with the same closing handshake.
    """
    from daphne.ws_protocol import WebSocketProtocol

    original = WebSocketProtocol.serverClose
    if getattr(original, "allows_registry_codes", False):
        return

    def server_close(self: Any, code: int | None = None) -> None:
        if code in _REGISTRY_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    server_close.allows_registry_codes = True  # type: ignore[attr-defined]
    WebSocketProtocol.serverClose = server_close


class _LazyFormat:
    """``pprint.pformat(value)``, computed only if a log line is actually written."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)


def _lazy_config_log() -> None:
    """Stop autobahn from pretty-printing its options for every new connection.

    Its ``_connectionMade`` passes ``pformat(options)`` to a debug log line that is never
    written here: a twelfth of a socket connect's CPU in ``bench/fanout.py``. The same
    text is still formatted when debug logging is on.
    """
    from autobahn.websocket import protocol

    protocol.pformat = _LazyFormat  # type: ignore[attr-defined,assignment]
    # The one caller that needs the text itself.
    protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)  # type: ignore[method-assign]


class _Drain:
    def __init__(self, reactor: Any, requests: InFlightRequests) -> None:
        self.reactor = reactor
        self.requests = requests
        self.started = False
        self.task: asyncio.Future[None] | None = None

    def on_signal(self, number: int, frame: Any = None) -> None:
        # A signal handler: hand over to the reactor thread, as Twisted's own does.
        self.reactor.callFromThread(self.begin)

    def begin(self) -> None:
        if self.started:
            logger.warning("second stop signal: stopping now")
            self.reactor.stop()
            return
        self.started = True
        self.task = asyncio.ensure_future(self.drain(), loop=self.reactor._asyncioEventloop)

    def _stop_listening(self) -> None:
        from twisted.internet import tcp

        for reader in list(self.reactor.getReaders()):
            if isinstance(reader, tcp.Port):
                reader.stopListening()

    async def drain(self) -> None:
        deadline = time.monotonic() + settings.REALTIME_SHUTDOWN_GRACE_SECONDS
        try:
            self._stop_listening()
            sockets = [*sweep.sockets(), *docs.open_sockets()]
            logger.warning(
                "stopping: closing %d sockets, %d requests in flight",
                len(sockets),
                self.requests.count,
            )
            for socket in sockets:
                try:
                    await socket.close(code=CLOSE_SERVICE_RESTART)
                except Exception as error:
                    logger.warning("closing a socket failed: %s", error.__class__.__name__)
            # Wait for the requests to be answered and the closing handshakes to end.
            while time.monotonic() < deadline and (
                self.requests.count or sweep.sockets() or docs.open_sockets()
            ):
                await asyncio.sleep(0.05)
        finally:
            self.reactor.stop()


def install(requests: InFlightRequests) -> None:
    """Drain on SIGTERM and allow 1012/1013 when this is a Daphne server; else do nothing."""
    # Only Daphne's command imports daphne.cli; daphne.server is imported by the app
    # (channels' runserver integration) under uvicorn and gunicorn too.
    if "daphne.cli" not in sys.modules:
        return
    from twisted.internet import asyncioreactor, reactor

    if not isinstance(reactor, asyncioreactor.AsyncioSelectorReactor) or reactor.running:
        return
    _allow_registry_codes()
    _lazy_config_log()
    drain = _Drain(reactor, requests)
    # The reactor reads these when it installs its signal handlers in ``run()``.
    reactor.sigTerm = drain.on_signal
    reactor.sigInt = drain.on_signal
