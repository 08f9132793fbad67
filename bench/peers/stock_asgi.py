"""The stock Channels peer: the tutorial's consumer, ``group_add`` and ``group_send``.

``AsyncJsonWebsocketConsumer`` with Channels' default dispatch; each socket joins the
board's group when it subscribes, and each ``board.event`` group message is encoded and
sent by every socket's own consumer (``send_json``), as in the Channels tutorial.

    DJANGO_SETTINGS_MODULE=bench.peers.stock_settings daphne bench.peers.stock_asgi:application
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.stock_settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "board-1"


class BoardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Join the board's group on ``subscribe``; forward each board event."""

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "subscribe":
            await self.channel_layer.group_add(GROUP, self.channel_name)
            await self.send_json({"type": "subscribed", "board": 1, "seq": 0})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def board_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter([path("ws/", BoardConsumer.as_asgi())])),
    }
)
