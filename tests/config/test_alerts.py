"""The alert rules and the dashboard in deploy/ speak of metrics /metrics has, and every alert has its runbook.

No Prometheus or Grafana runs here: the files are read as they would be, and their metric names are checked
against the documented list of what /metrics exposes (docs/observability.md, "Every metric"), which
tests/config/test_metrics.py holds to the real scrapes.
"""

import json
import re
from pathlib import Path

import yaml

from tests.test_docs import _anchors

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "workspace.json"
OBSERVABILITY = ROOT / "docs" / "observability.md"
OPERATIONS = ROOT / "docs" / "operations.md"
METRIC = re.compile(r"\bworkspace_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum")


def documented_metrics() -> set[str]:
    table = OBSERVABILITY.read_text().split("### Every metric", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"`(workspace_[a-z_]+)`", table))


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in documented_metrics():
            return name.removesuffix(suffix)
    return name


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard_expressions() -> list[str]:
    def walk(panels):
        for panel in panels:
            yield from (target["expr"] for target in panel.get("targets", ()) if "expr" in target)
            yield from walk(panel.get("panels", ()))

    return list(walk(json.loads(DASHBOARD.read_text())["panels"]))


def test_every_alert_is_complete_and_has_its_runbook():
    rules = alert_rules()
    assert len(rules) >= 8
    operations = OPERATIONS.read_text()
    for rule in rules:
        assert {"expr", "for", "labels", "annotations"} <= set(rule), rule["alert"]
        assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        path, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert anchor == rule["alert"].lower(), rule["alert"]
        assert anchor in _anchors(ROOT / path), f"{rule['alert']}: no runbook section in {path}"
        assert f"`{rule['alert']}`" in operations, f"{rule['alert']} is not in operations.md's list of alerts"


def test_alerts_and_dashboard_use_only_metrics_that_exist():
    known = documented_metrics()
    assert "workspace_http_requests_total" in known
    expressions = [rule["expr"] for rule in alert_rules()] + dashboard_expressions()
    assert len(expressions) > 15
    used = {base_name(name) for expression in expressions for name in METRIC.findall(expression)}
    assert used - known == set()
