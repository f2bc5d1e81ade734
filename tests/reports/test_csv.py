"""``?format=csv``: the same figures as CSV sections, every formula-like cell neutralised."""

import csv
import io

import pytest

from tasks_app.models import Status
from tests.organizations.assertions import assert_error
from tests.reports.conftest import RANGE, report_url

pytestmark = pytest.mark.django_db


def sections(content: str) -> dict[str, list[list[str]]]:
    """{title: [header, *rows]} from the CSV's blank-line separated sections."""
    result, current = {}, None
    for row in csv.reader(io.StringIO(content)):
        if not row:
            current = None
        elif current is None:
            current = result.setdefault(row[0], [])
        else:
            current.append(row)
    return result


@pytest.fixture
def csv_report(dataset, org, client_as, freeze_today):
    freeze_today("2030-01-20")
    response = client_as("viewer").get(report_url(org.id), {**RANGE, "format": "csv"})
    assert response.status_code == 200, response.content
    return response


def test_answers_csv_as_an_attachment(csv_report, org):
    assert csv_report["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_report["Content-Disposition"] == (
        f'attachment; filename="report-{org.organization.slug}-2029-12-24-2030-01-13.csv"'
    )


def test_has_the_same_figures_as_the_json(csv_report, org, client_as):
    data = sections(csv_report.content.decode())
    json_report = client_as("viewer").get(report_url(org.id), RANGE).json()
    assert list(data) == ["Report", "Totals", "By status", "By priority", "By assignee", "Weeks", "Cycle time"]
    assert data["Report"] == [
        ["organization", "slug", "from", "to", "days", "as_of"],
        ["Acme", org.organization.slug, "2029-12-24", "2030-01-13", "21", "2030-01-13"],
    ]
    assert data["Totals"] == [["all", "open", "done", "overdue"], ["9", "4", "5", "2"]]
    assert data["By status"][1:] == [[s["status"], str(s["count"])] for s in json_report["by_status"]]
    assert data["By priority"][1:] == [[p["priority"], str(p["count"])] for p in json_report["by_priority"]]
    assert data["By assignee"][0] == ["id", "username", "name", "open", "done", "overdue"]
    assert data["By assignee"][-1] == ["", "", "Unassigned", "2", "0", "1"]
    assert data["Weeks"] == [
        ["week", "start", "created", "completed"],
        ["2029-W52", "2029-12-24", "3", "2"],
        ["2030-W01", "2029-12-31", "2", "1"],
        ["2030-W02", "2030-01-07", "2", "1"],
    ]
    assert data["Cycle time"] == [["completed", "median_hours", "p90_hours"], ["4", "90.0", "1516.8"]]


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_cells_are_neutralised(org, client_as, make_task, freeze_today, payload):
    freeze_today("2030-01-20")
    org.member.full_name = payload
    org.member.save()
    org.organization.name = payload
    org.organization.save()
    make_task(created="2030-01-02 00:00", assignee=org.member)
    content = client_as("member").get(report_url(org.id), {**RANGE, "format": "csv"}).content.decode()
    data = sections(content)
    assert data["Report"][1][0] == "'" + payload
    assert data["By assignee"][1][2] == "'" + payload
    for row in csv.reader(io.StringIO(content)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_a_harmless_name_is_left_alone(org, client_as, make_task, freeze_today):
    freeze_today("2030-01-20")
    org.member.full_name = "Ada O'Neil, PhD"
    org.member.save()
    make_task(created="2030-01-02 00:00", assignee=org.member, status=Status.IN_PROGRESS)
    data = sections(client_as("member").get(report_url(org.id), {**RANGE, "format": "csv"}).content.decode())
    assert data["By assignee"][1][2] == "Ada O'Neil, PhD"


def test_errors_still_answer_the_json_envelope(org, client_as):
    body = assert_error(
        client_as("member").get(report_url(org.id), {"from": "2030-02-01", "to": "2030-01-01", "format": "csv"}),
        400,
        "invalid_range",
    )
    assert body["errors"][0]["field"] == "from"


def test_an_accept_header_for_csv_alone_does_not_answer_406(org, client_as):
    response = client_as("member").get(report_url(org.id), {**RANGE, "format": "csv"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
