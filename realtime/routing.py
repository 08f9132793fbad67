"""Websocket routes, and the HTTP route served by a consumer (the event stream)."""

from django.urls import path

from realtime.consumers import BoardConsumer
from realtime.doc_consumer import DocConsumer
from realtime.stream import BoardStream

websocket_urlpatterns = [
    path("ws/", BoardConsumer.as_asgi()),
    path("ws/cards/<int:card_id>/doc/", DocConsumer.as_asgi()),
]
http_urlpatterns = [
    path("api/v1/boards/<int:board_id>/stream/", BoardStream.as_asgi()),
]
