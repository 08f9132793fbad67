"""WSGI entry point (HTTP only; websockets need the ASGI app under Daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Loading the middleware refuses the published secret key (project/secret_key.py).
application = get_wsgi_application()
