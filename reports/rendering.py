"""A report's figures (``selectors.report_summary``) as CSV, HTML with charts, or JSON text."""

import io
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from config.csv_safety import csv_writer
from reports import charts
from reports.metrics import TOTALS, total_rows

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8", "json": "application/json"}


def report_csv(report: dict) -> str:
    """The figures as CSV sections: a title row, a header row, the rows, then a blank line.

    Every string cell is neutralised against formula injection (names and titles are user input).
    """
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    organization, period = report["organization"], report["range"]
    sections = [
        (
            "Report",
            ["organization", "slug", "from", "to", "days", "as_of"],
            [
                [
                    organization["name"],
                    organization["slug"],
                    period["from"].isoformat(),
                    period["to"].isoformat(),
                    period["days"],
                    period["as_of"].isoformat(),
                ]
            ],
        ),
        (
            "Totals",
            [total.key for total in TOTALS],
            [[report["totals"][total.key] for total in TOTALS]],
        ),
        ("By status", ["status", "count"], [[row["status"], row["count"]] for row in report["by_status"]]),
        ("By priority", ["priority", "count"], [[row["priority"], row["count"]] for row in report["by_priority"]]),
        (
            "By assignee",
            ["id", "username", "name", "open", "done", "overdue"],
            [
                [row["id"] or "", row["username"] or "", row["name"], row["open"], row["done"], row["overdue"]]
                for row in report["by_assignee"]
            ],
        ),
        (
            "Weeks",
            ["week", "start", "created", "completed"],
            [[w["week"], w["start"].isoformat(), w["created"], w["completed"]] for w in report["weeks"]],
        ),
        (
            "Cycle time",
            ["completed", "median_hours", "p90_hours"],
            [
                [
                    report["cycle_time"][k] if report["cycle_time"][k] is not None else ""
                    for k in ("completed", "median_hours", "p90_hours")
                ]
            ],
        ),
    ]
    for index, (title, header, rows) in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return out.getvalue()


def report_html(report: dict, *, generated_at=None) -> str:
    """A standalone, printable page: inline CSS and SVG charts, no script, no external asset."""
    context = {
        "report": report,
        "totals": total_rows(report),
        "generated_at": generated_at or timezone.now(),
        "status_chart": charts.bar_chart(
            [(row["status"].replace("_", " "), row["count"]) for row in report["by_status"]], palette="status"
        ),
        "priority_chart": charts.bar_chart(
            [(row["priority"], row["count"]) for row in report["by_priority"]], palette="priority"
        ),
        "weekly_chart": charts.weekly_chart(report["weeks"]),
        "assignee_chart": charts.assignee_chart(report["by_assignee"]),
        # Two side-by-side tables, each with its header, rather than one long column.
        "week_tables": _halves(report["weeks"]),
    }
    return render_to_string("reports/report.html", context)


def _halves(rows: list) -> list[list]:
    middle = (len(rows) + 1) // 2
    return [half for half in (rows[:middle], rows[middle:]) if half]


def report_json(report: dict) -> str:
    return json.dumps(report, cls=DjangoJSONEncoder, indent=2)


def render_report(report: dict, format: str) -> str:
    renderers = {"csv": report_csv, "html": report_html, "json": report_json}
    return renderers[format](report)
