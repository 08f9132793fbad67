"""App config for realtime."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
