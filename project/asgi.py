"""ASGI entry point: HTTP to Django (the event stream to its consumer), websockets at /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Load Django (apps, models) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.urls import re_path  # noqa: E402

# Django keeps its cache clients per async context, and every socket and request runs in
# a copy of the context it was started from: created here, in the root context, one
# client (one Redis connection pool) serves the whole process, instead of a new client
# and a new Redis connection for every socket that redeems a ticket.
caches["default"]

from project import gc_tuning  # noqa: E402
from realtime import shutdown  # noqa: E402
from realtime.auth import SocketAuthMiddleware  # noqa: E402
from realtime.routing import http_urlpatterns, websocket_urlpatterns  # noqa: E402

# Counted so that a stopping Daphne answers the requests it has before it exits.
http_app = shutdown.InFlightRequests(django_asgi_app)
shutdown.install(http_app)

application = ProtocolTypeRouter(
    {
        # The event stream is not an in-flight request: a stop ends it (the client
        # resumes with Last-Event-ID), rather than waiting out the grace for it.
        "http": URLRouter([*http_urlpatterns, re_path(r"", http_app)]),
        "websocket": SocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)

# Last: everything the app loads is loaded, so it is frozen out of every collection.
gc_tuning.tune()
