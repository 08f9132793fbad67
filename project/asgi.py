"""ASGI entry point: HTTP to Django, websockets at /ws/ to the Corkboard consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Load Django (apps, models) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime import shutdown  # noqa: E402
from realtime.auth import SocketAuthMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# Counted so that a stopping Daphne answers the requests it has before it exits.
http_app = shutdown.InFlightRequests(django_asgi_app)
shutdown.install(http_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": SocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
