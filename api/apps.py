"""App config for api."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"

    def ready(self) -> None:
        # Register the OpenAPI extensions for our authentication classes.
        from api import schema  # noqa: F401
