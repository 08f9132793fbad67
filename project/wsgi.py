"""WSGI entry point: plain HTTP under gunicorn (``bin/serve-http``), beside Daphne.

The WSGI split of docs/operations.md: the proxy sends ``/ws/`` to the ASGI app and every
other request here. The same settings serve both; writes made here reach the sockets
through the Redis channel layer (each process publishes from its own thread,
realtime/publish.py), so the split needs ``REDIS_URL``.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Loading the middleware refuses the published secret key (project/secret_key.py).
application = get_wsgi_application()

from project import gc_tuning  # noqa: E402

# Last: the loaded app is frozen out of every collection (project/gc_tuning.py).
gc_tuning.tune()
