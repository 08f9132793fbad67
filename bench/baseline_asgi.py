"""The ASGI app with Channels' default dispatch, as the benchmark's baseline."""

from channels.generic.websocket import AsyncWebsocketConsumer

from project.asgi import application
from realtime.consumers import BoardConsumer

BoardConsumer.dispatch = AsyncWebsocketConsumer.dispatch  # type: ignore[method-assign]

__all__ = ["application"]
