"""Template tags of the admin: the status block on the index page."""

from __future__ import annotations

from typing import Any

from django import template

from project.admin_status import status

register = template.Library()


@register.inclusion_tag("admin/corkboard_status.html")
def admin_status() -> dict[str, Any]:
    """Render the status block: open reports, processes, failed publishes, last backup."""
    return {"status": status()}
