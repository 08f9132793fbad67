"""The ceiling: a bare ``websockets`` broadcast server fed by Redis pub/sub.

A socket sends ``{"type": "subscribe", ...}`` and is answered ``subscribed``; from then on
every message published on the Redis channel is written, as it is, to every subscribed
socket with ``websockets.broadcast`` (one frame, many writes, no per-socket task).

    python bench/peers/bare.py --port 8001 --redis redis://127.0.0.1:6379/0 --channel bench
"""

from __future__ import annotations

import argparse
import asyncio
import json

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, broadcast, serve

SUBSCRIBED = json.dumps({"type": "subscribed", "board": 1, "seq": 0})


async def main(port: int, redis_url: str, channel: str) -> None:
    subscribers: set[ServerConnection] = set()

    async def handler(socket: ServerConnection) -> None:
        try:
            async for message in socket:
                if isinstance(message, str) and '"subscribe"' in message:
                    subscribers.add(socket)
                    await socket.send(SUBSCRIBED)
        finally:
            subscribers.discard(socket)

    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        async for message in pubsub.listen():
            if message["type"] == "message":
                broadcast(subscribers, message["data"].decode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main(args.port, args.redis, args.channel))
    except ImportError:
        asyncio.run(main(args.port, args.redis, args.channel))
