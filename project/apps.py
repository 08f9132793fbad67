"""The project's own app (its system checks), and django-waffle under a readable name."""

from django.apps import AppConfig
from django.core import checks
from waffle.apps import WaffleConfig


class ProjectConfig(AppConfig):
    name = "project"
    label = "corkboard_project"

    def ready(self) -> None:
        from project import metrics  # noqa: F401  (counts every process's database queries)
        from project.secret_key import secret_key_system_check

        checks.register(secret_key_system_check, checks.Tags.security)


class FeatureFlagsConfig(WaffleConfig):
    """django-waffle, listed as "Feature flags" in the admin."""

    verbose_name = "Feature flags"
