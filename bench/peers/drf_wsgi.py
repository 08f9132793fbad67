"""WSGI entry point of the plain DRF peer (``gunicorn bench.peers.drf_wsgi -w 2``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.drf_settings")
application = get_wsgi_application()
