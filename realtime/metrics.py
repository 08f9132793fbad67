"""The realtime tier's Prometheus metrics: this process's sockets, events and frames.

Plain in-memory counters and gauges in prometheus-client's default registry, so that
updating one on the broadcast path is a lock and an add, never I/O or a thread hop.
``/metrics`` (:mod:`project.metrics`) exposes them with the HTTP and database ones.
"""

from __future__ import annotations

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

SOCKETS = Gauge("corkboard_ws_sockets", "Websockets this process holds open.")
SOCKET_LIMIT = Gauge(
    "corkboard_ws_socket_limit",
    "Most websockets this process holds (WS_MAX_SOCKETS); past it, close 1013.",
)
# Read at scrape time: no module reads settings at import time.
SOCKET_LIMIT.set_function(lambda: settings.WS_MAX_SOCKETS)
SUBSCRIPTIONS = Gauge(
    "corkboard_ws_subscriptions", "Board subscriptions of this process's sockets."
)
CONNECTS = Counter(
    "corkboard_ws_connects_total",
    "Websocket connections that reached the consumer (each later counts one close).",
)
CLOSES = Counter(
    "corkboard_ws_closes_total",
    "Websockets ended, by close code (the server's when it closed first, else the client's).",
    ["code"],
)
EVENTS_PUBLISHED = Counter(
    "corkboard_events_published_total",
    "Board events this process handed to the channel layer after commit.",
)
PUBLISH_ERRORS = Counter(
    "corkboard_publish_errors_total",
    "Channel-layer publishes that failed or timed out (subscribers catch up from the database).",
)
FRAMES_SENT = Counter(
    "corkboard_ws_frames_sent_total",
    "Frames written to this process's websockets, by kind.",
    ["type"],
)
PUBLISH_TO_SEND = Histogram(
    "corkboard_publish_to_send_seconds",
    "From an event's publish at commit to its frame written to a subscriber's socket.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REPLAYS = Counter(
    "corkboard_replays_total", "Subscriptions with 'since' answered by replaying the history."
)
REPLAYED_EVENTS = Counter("corkboard_replayed_events_total", "Events sent by those replays.")
GAP_FILLS = Counter(
    "corkboard_gap_fills_total",
    "Reads of missed events from the database: a seq jump in live delivery, or the sweep.",
)
RESYNCS = Counter(
    "corkboard_resyncs_total", "'resync' sent: the missed events are no longer retained."
)
SLOW_SOCKETS = Counter(
    "corkboard_ws_slow_sockets_total",
    "Subscriptions taken out of live delivery for a full send buffer, then caught up.",
)
PRESENCE_ENTRIES = Gauge(
    "corkboard_presence_entries", "Presence entries this process's sockets hold (one per board)."
)

# The kinds of frame a socket is sent (the ``type`` label). ``event`` is a live event,
# ``replay`` and ``gap_fill`` are events read from the database; the others are the
# server message types of the protocol.
FRAME_KINDS = (
    "event",
    "replay",
    "gap_fill",
    "subscribed",
    "resync",
    "notification",
    "presence",
    "error",
    "pong",
)
# Children resolved once: counting a frame is then one locked add.
_frames = {kind: FRAMES_SENT.labels(kind) for kind in FRAME_KINDS}


def frame_sent(kind: str, count: int = 1) -> None:
    """Count ``count`` frames of ``kind`` (one of :data:`FRAME_KINDS`) written to sockets."""
    _frames[kind].inc(count)


def current(metric: Counter | Gauge) -> int:
    """Return the value of an unlabelled counter or gauge of this process."""
    (family,) = metric.collect()
    return int(family.samples[0].value)
