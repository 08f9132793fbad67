"""docs/runbook.md names only commands that exist, and answers every alert.

Every ``manage.py <command>`` is a command of this project, with options its parser
knows; every ``bin/<script>`` is an executable script that handles the options used;
every alert of deploy/prometheus/alerts.yml has the section its ``runbook_url`` links;
every link inside the runbook lands on a heading.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from django.core.management import get_commands, load_command_class

from tests.servers import ROOT

RUNBOOK = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
ALERTS = [
    rule
    for group in yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())[
        "groups"
    ]
    for rule in group["rules"]
]
SITUATIONS = (
    "Redis down",
    "PostgreSQL down",
    "A stuck process",
    "Disk full",
    "Restore from backup",
    "Rotating the secret key",
    "Revoking a leaked token",
    "Suspending an abusive user",
    "Rolling restart",
)
# A command and the rest of its line, up to the end of its code span.
MANAGE = re.compile(r"manage\.py ([a-z_]+)([^`\n]*)")
SCRIPT = re.compile(r"(?<![\w./])bin/([a-z_-]+)([^`\n]*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def _slug(heading: str) -> str:
    """Return the anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


HEADINGS = {_slug(h): h for h in re.findall(r"^#{1,6} (.+)$", RUNBOOK, re.MULTILINE)}


def _uses(pattern: re.Pattern[str]) -> dict[str, set[str]]:
    """Return each command the runbook names, with the options it passes."""
    uses: dict[str, set[str]] = {}
    for match in pattern.finditer(RUNBOOK):
        rest = match.group(2).split(" #", 1)[0]  # not a shell comment's words
        uses.setdefault(match.group(1), set()).update(OPTION.findall(rest))
    return uses


def test_the_runbook_names_commands():
    assert {"health", "revoke_token", "suspend_user", "export_board", "import_board"} <= set(
        _uses(MANAGE)
    )
    assert {"backup", "restore"} <= set(_uses(SCRIPT))


@pytest.mark.parametrize(("name", "options"), sorted(_uses(MANAGE).items()))
def test_every_management_command_exists_with_its_options(name, options):
    commands = get_commands()
    assert name in commands, f"manage.py {name} does not exist"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    unknown = options - set(parser._option_string_actions)
    assert not unknown, f"manage.py {name} has no {sorted(unknown)}"


@pytest.mark.parametrize(("name", "options"), sorted(_uses(SCRIPT).items()))
def test_every_script_exists_and_handles_its_options(name, options):
    script = ROOT / "bin" / name
    assert script.is_file() and os.access(script, os.X_OK), f"bin/{name} is not a script"
    text = script.read_text(encoding="utf-8")
    assert all(re.search(rf"^\s*{option}\)", text, re.M) for option in options), options


@pytest.mark.parametrize("rule", ALERTS, ids=lambda rule: rule["alert"])
def test_every_alert_has_its_runbook_section(rule):
    path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert path == "docs/runbook.md"
    assert HEADINGS.get(anchor) == rule["alert"]


def test_the_runbook_covers_the_situations():
    assert set(SITUATIONS) <= set(HEADINGS.values())


def test_every_link_inside_the_runbook_lands_on_a_heading():
    links = set(re.findall(r"\]\(#([^)]+)\)", RUNBOOK))
    assert links and links <= set(HEADINGS), sorted(links - set(HEADINGS))
