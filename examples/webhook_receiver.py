"""A Corkboard webhook receiver that verifies every delivery (Standard Webhooks).

    python examples/webhook_receiver.py --port 9000 --secret whsec_...

Checks ``webhook-signature`` (HMAC-SHA256 of ``id.timestamp.body`` with the secret; any
of the space-separated ``v1,`` signatures may match, which is how a rotated secret
keeps working) and that ``webhook-timestamp`` is within ``--tolerance`` seconds (replay
protection), answers 204, and prints the event. A bad signature gets a 401. Dedupe
on ``webhook-id``: a retry or a redelivery carries the same one.

For tests: ``--log FILE`` appends one JSON line per request received, and
``--control FILE`` (JSON, re-read on every request) can set ``status`` (answer this
instead), ``location`` (a Location header), ``delay`` (seconds to wait first) and
``secret``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: float) -> str | None:
    """Return why the delivery is not authentic, or None if it is."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and timestamp and signatures):
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(time.time() - sent_at) > tolerance:
        return "timestamp outside the tolerance"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no signature matches"


class Receiver(BaseHTTPRequestHandler):
    server: ReceiverServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        control = self.server.control()
        headers = {name.lower(): value for name, value in self.headers.items()}
        problem = verify(
            control.get("secret", self.server.secret), headers, body, self.server.tolerance
        )
        self.server.record(
            {
                "webhook_id": headers.get("webhook-id"),
                "verified": problem is None,
                "problem": problem,
                "signatures": len(headers.get("webhook-signature", "").split(" ")),
                "received_at": time.time(),
                "body": body.decode("utf-8", "replace"),
            }
        )
        time.sleep(float(control.get("delay", 0)))
        status = 401 if problem else int(control.get("status", 204))
        if problem is None and status < 300:
            event = json.loads(body)
            print(f"{event['event']} #{event['seq']} on board {event['board']}", flush=True)
        self.send_response(status)
        if "location" in control:
            self.send_header("Location", str(control["location"]))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write((problem or "ok").encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, port: int, secret: str, tolerance: float, log: Path | None, control: Path | None
    ) -> None:
        super().__init__(("127.0.0.1", port), Receiver)
        self.secret = secret
        self.tolerance = tolerance
        self.log = log
        self.control_file = control

    def control(self) -> dict[str, Any]:
        if self.control_file is None or not self.control_file.exists():
            return {}
        return dict(json.loads(self.control_file.read_text() or "{}"))

    def record(self, entry: dict[str, Any]) -> None:
        if self.log is not None:
            with self.log.open("a") as log:
                log.write(json.dumps(entry) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="The webhook's whsec_… secret.")
    parser.add_argument("--tolerance", type=float, default=300.0, help="Seconds (default 300).")
    parser.add_argument("--log", type=Path)
    parser.add_argument("--control", type=Path)
    args = parser.parse_args()
    server = ReceiverServer(args.port, args.secret, args.tolerance, args.log, args.control)
    print(f"Listening on http://127.0.0.1:{server.server_port}/", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
