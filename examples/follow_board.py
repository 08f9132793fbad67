"""Follow a board's live events from the command line, as a third-party client would.

    pip install websockets
    export CORKBOARD_TOKEN=cbp_...
    python examples/follow_board.py http://localhost:8000 BOARD_ID [--since SEQ]

It exchanges the token for a single-use socket ticket (so the token never appears in a
URL), subscribes with ``since`` and prints every event as one JSON line. On a dropped
connection it reconnects with the last seq it printed, so no event is missed or repeated:
at once when the server is restarting (close code 1012), after a second otherwise. It
stops when the token is refused or revoked (4401, 4410) or the user suspended (4403).
Nothing else is needed to stay current: the server gap-fills a socket that missed an
event (a failed publish) within a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import urllib.request

import websockets

# Close codes after which reconnecting cannot help: the credential is gone.
FINAL_CLOSE_CODES = {4401: "unauthenticated", 4403: "suspended", 4410: "token revoked"}
SERVICE_RESTART = 1012


def ticket(base: str, token: str) -> str:
    request = urllib.request.Request(  # noqa: S310 (the user names the server)
        f"{base}/api/v1/auth/ws-ticket/",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(json.load(response)["ticket"])


async def follow(base: str, token: str, board: int, since: int | None, until: int | None) -> None:
    ws_base = base.replace("https://", "wss://").replace("http://", "ws://")
    while True:
        try:
            url = f"{ws_base}/ws/?ticket={ticket(base, token)}"
            async with websockets.connect(url) as socket:
                message: dict[str, object] = {"type": "subscribe", "board": board}
                if since is not None:
                    message["since"] = since
                await socket.send(json.dumps(message))
                async for raw in socket:
                    frame = json.loads(raw)
                    if frame["type"] == "event":
                        if since is not None and frame["seq"] <= since:
                            continue  # already printed (idempotent apply)
                        since = frame["seq"]
                    if frame["type"] in ("event", "subscribed", "resync", "error"):
                        print(json.dumps(frame), flush=True)
                    if until is not None and since is not None and since >= until:
                        return
        except websockets.ConnectionClosed as error:
            code = error.rcvd.code if error.rcvd is not None else 1006
            if code in FINAL_CLOSE_CODES:
                print(f"# closed: {FINAL_CLOSE_CODES[code]} ({code})", file=sys.stderr)
                return
            print(f"# closed ({code}); reconnecting with since={since}", file=sys.stderr)
            # A restarting server asks for an immediate reconnect (to another process).
            await asyncio.sleep(random.uniform(0, 0.3) if code == SERVICE_RESTART else 1)  # noqa: S311
        except OSError as error:
            print(f"# connection lost ({error}); reconnecting with since={since}", file=sys.stderr)
            await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a Corkboard board's events live.")
    parser.add_argument("base", help="server URL, e.g. http://localhost:8000")
    parser.add_argument("board", type=int)
    parser.add_argument("--since", type=int, default=None, help="replay events after this seq")
    parser.add_argument("--until", type=int, default=None, help="exit after this seq")
    args = parser.parse_args()
    token = os.environ.get("CORKBOARD_TOKEN")
    if not token:
        parser.error("set CORKBOARD_TOKEN to a personal access token")
    asyncio.run(follow(args.base.rstrip("/"), token, args.board, args.since, args.until))


if __name__ == "__main__":
    main()
