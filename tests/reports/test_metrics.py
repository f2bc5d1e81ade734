"""The totals are declared once (reports/metrics.py): the JSON, the CSV, the HTML report and the
weekly email all show every declared total, so a new one needs no edit of theirs."""

import datetime

import pytest

from reports import metrics
from reports.metrics import TOTALS, Total, total_rows
from reports.rendering import report_csv, report_html
from reports.serializers import ReportTotalsSerializer

REPORT = {
    "organization": {"id": None, "name": "Acme", "slug": "acme"},
    "range": {
        "from": datetime.date(2030, 1, 1),
        "to": datetime.date(2030, 1, 20),
        "days": 20,
        "as_of": datetime.date(2030, 1, 13),
    },
    "totals": {"all": 7, "open": 4, "done": 3, "overdue": 2, "blocked": 1},
    "by_status": [],
    "by_priority": [],
    "by_assignee": [],
    "weeks": [],
    "cycle_time": {"completed": 0, "median_hours": None, "p90_hours": None},
}


def test_the_api_fields_are_the_declared_totals_in_order():
    assert list(ReportTotalsSerializer().fields) == [total.key for total in TOTALS]


def test_rows_carry_label_value_alert_and_note():
    rows = {row["key"]: row for row in total_rows(REPORT)}
    assert rows["overdue"] == {
        "key": "overdue",
        "label": "Overdue",
        "value": 2,
        "alert": True,
        "note": "not done, due before 13 Jan 2030",
    }
    assert rows["done"]["alert"] is False


def test_a_new_total_reaches_the_csv_and_the_html_report(monkeypatch):
    monkeypatch.setattr(metrics, "TOTALS", (*TOTALS, Total("blocked", "Blocked", alert=True)))
    monkeypatch.setattr("reports.rendering.TOTALS", metrics.TOTALS)
    csv_text = report_csv(REPORT)
    assert "all,open,done,overdue,blocked\r\n7,4,3,2,1\r\n" in csv_text
    html = report_html(REPORT)
    assert '<div class="label">Blocked</div><div class="value">1</div>' in html


@pytest.mark.parametrize("template", ["emails/weekly_report.txt", "emails/weekly_report.html"])
def test_the_weekly_email_shows_every_total(template):
    from django.template.loader import render_to_string

    body = render_to_string(template, {"report": REPORT, "totals": total_rows(REPORT), "last_week": {}})
    for total in TOTALS:
        assert total.label.upper() in body.upper()
        assert str(REPORT["totals"][total.key]) in body
