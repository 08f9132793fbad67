"""deploy/prometheus/alerts.yml: valid rules on the metrics the app exports, unit-tested.

``promtool check rules`` and ``promtool test rules`` (alerts_test.yml) run for real; every
alert has a firing and a silent case there, a ``for``, a severity and a runbook link.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import project.metrics
import realtime.metrics
from tests.servers import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES: list[dict[str, Any]] = [
    rule
    for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    for rule in group["rules"]
]
UNIT_TESTS: list[dict[str, Any]] = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())[
    "tests"
]
# What each kind of metric family is called in a query.
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def test_promtool_accepts_the_rules():
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULES)} rules found" in result.stdout


def test_promtool_unit_tests_pass():
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for case in (case for test in UNIT_TESTS for case in test["alert_rule_test"]):
        (fired if case["exp_alerts"] else silent).add(case["alertname"])
    alerts = {rule["alert"] for rule in RULES}
    assert fired == alerts
    assert silent == alerts


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["alert"])
def test_every_alert_waits_is_rated_and_links_its_runbook_section(rule):
    assert re.fullmatch(r"\d+m", rule["for"])
    assert rule["labels"]["severity"] in ("warning", "critical")
    annotations = rule["annotations"]
    assert annotations["summary"] and annotations["description"]
    assert annotations["runbook_url"] == f"docs/runbook.md#{rule['alert'].lower()}"


def test_alerts_query_only_metrics_the_app_exports():
    assert project.metrics and realtime.metrics  # imported: their metrics are registered
    exported = {"up"} | {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in SUFFIXES.get(family.type, ("",))
    }
    used = {name for rule in RULES for name in re.findall(r"\b(corkboard_\w+|up)\{", rule["expr"])}
    assert used, "the pattern finds no metric"
    assert used <= exported, sorted(used - exported)
    assert all('job="corkboard"' in rule["expr"] for rule in RULES)
