"""The project's own app: registers the project's system checks."""

from django.apps import AppConfig
from django.core import checks


class ProjectConfig(AppConfig):
    name = "project"
    label = "corkboard_project"

    def ready(self) -> None:
        from project.secret_key import secret_key_system_check

        checks.register(secret_key_system_check, checks.Tags.security)
