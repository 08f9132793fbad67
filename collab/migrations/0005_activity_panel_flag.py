"""Create the ``activity_panel`` feature flag, on for everyone (nothing changes for users).

Operators narrow it on the admin's Flags page: set "Everyone" to "Unknown" and pick
users, groups, staff, superusers or a percentage instead.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FLAG = "activity_panel"
NOTE = "Shows the board's Activity panel; the events API stays available."


def create_flag(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Flag = apps.get_model("waffle", "Flag")
    Flag.objects.get_or_create(name=FLAG, defaults={"everyone": True, "note": NOTE})


def delete_flag(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("waffle", "Flag").objects.filter(name=FLAG).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collab", "0004_event_verbose_name"),
        ("waffle", "0004_update_everyone_nullbooleanfield"),
    ]

    operations = [migrations.RunPython(create_flag, delete_flag)]
