"""ASGI entry point: HTTP to Django, websockets at /ws/ to the Corkboard consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Load Django (apps, models) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from project.secret_key import check_secret_key  # noqa: E402
from realtime.auth import SocketAuthMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# Serving refuses the published development key unless DEBUG is on.
check_secret_key(
    settings.SECRET_KEY, debug=settings.DEBUG, allow_insecure=settings.ALLOW_INSECURE_KEY
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
