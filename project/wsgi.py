"""WSGI entry point (HTTP only; websockets need the ASGI app under Daphne)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from project.secret_key import check_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()
# Serving refuses the published development key unless DEBUG is on.
check_secret_key(
    settings.SECRET_KEY, debug=settings.DEBUG, allow_insecure=settings.ALLOW_INSECURE_KEY
)
