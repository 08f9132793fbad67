"""App config for the collaboration domain."""

from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "collab"
    verbose_name = "Collaboration"
