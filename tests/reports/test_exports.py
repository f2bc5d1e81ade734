"""POST /reports/{id}/exports -> a worker builds the file -> GET /reports/exports/{id} -> download."""

import datetime

import pytest
from django.utils import timezone

from reports import rendering, services
from reports.models import ExportState, ReportExport
from tests.factories import ReportExportFactory
from tests.organizations.assertions import assert_error
from tests.reports.conftest import RANGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_export(org, client_as, django_capture_on_commit_callbacks, freeze_today):
    freeze_today("2030-01-20")

    def request(fmt="html", role="member", **data):
        """POST an export, let its transaction commit (the eager worker builds it), answer its state then."""
        client = client_as(role)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(f"/api/v1/reports/{org.id}/exports", {"format": fmt, **RANGE, **data})
        if response.status_code != 202:
            return response
        # One build enqueued, on commit (the live stream's publication of its readiness comes after it).
        assert [callback.__qualname__ for callback in callbacks if hasattr(callback, "__qualname__")] == [
            "enqueue_on_commit.<locals>.send"
        ]
        return client.get(f"/api/v1/reports/exports/{response.json()['id']}")

    return request


def test_an_html_export_is_built_by_the_worker_and_downloaded(dataset, org, request_export, client_as):
    response = request_export("html")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "succeeded"
    assert (body["format"], body["from"], body["to"], body["organization"]) == (
        "html",
        "2029-12-24",
        "2030-01-13",
        str(org.id),
    )
    assert body["requested_by"]["id"] == str(org.member.pk)
    assert body["api_download_url"] == f"http://testserver/api/v1/reports/exports/{body['id']}/download"
    assert body["download_url"].startswith(
        f"http://testserver/api/v1/reports/exports/{body['id']}/signed-download?token="
    )
    assert body["started_at"]
    assert body["finished_at"]
    assert body["error"] == ""

    client = client_as("viewer")
    links = {"download_url", "download_url_expires_at"}  # signed for each reader, at each read
    again = client.get(f"/api/v1/reports/exports/{body['id']}").json()
    assert {k: v for k, v in again.items() if k not in links} == {k: v for k, v in body.items() if k not in links}
    download = client.get(body["api_download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/html; charset=utf-8"
    assert download["Content-Disposition"] == (
        f'attachment; filename="report-{org.organization.slug}-2029-12-24-2030-01-13.html"'
    )
    html = b"".join(download.streaming_content).decode()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 4  # status, priority, weekly, assignees
    assert "2030-W01" in html
    assert "<script" not in html.lower()
    assert "http://" not in html
    assert "https://" not in html


def test_a_csv_export_holds_the_same_csv_as_the_summary(dataset, org, request_export, client_as):
    body = request_export("csv").json()
    download = client_as("member").get(f"/api/v1/reports/exports/{body['id']}/download")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    summary_csv = client_as("member").get(f"/api/v1/reports/{org.id}", {**RANGE, "format": "csv"}).content
    assert b"".join(download.streaming_content) == summary_csv


def test_the_export_is_enqueued_only_when_the_request_commits(org, client_as, freeze_today):
    freeze_today("2030-01-20")
    response = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv", **RANGE})
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["download_url"]) == ("pending", None)
    assert_error(client_as("member").get(f"/api/v1/reports/exports/{body['id']}/download"), 409, "export_not_ready")


def test_the_range_defaults_to_the_last_twelve_weeks(org, client_as, freeze_today):
    freeze_today("2030-01-20")  # a Sunday
    body = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv"}).json()
    assert (body["from"], body["to"]) == ("2029-10-29", "2030-01-20")


@pytest.mark.parametrize("blank", ["", None])
def test_blank_or_null_dates_mean_the_defaults_and_the_schema_says_so(org, client_as, freeze_today, blank):
    """Found by fuzzing: the API took `"to": ""` as the default, the schema allowed only a date."""
    freeze_today("2030-01-20")
    response = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv", "to": blank})
    assert (response.status_code, response.json()["to"]) == (202, "2030-01-20")
    schema = client_as("member").get("/api/v1/schema/?format=json").json()
    to = schema["components"]["schemas"]["ReportExportCreateRequest"]["properties"]["to"]
    assert to["nullable"] is True
    assert {"type": "string", "maxLength": 0} in to["oneOf"]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"format": "pdf"}, "format", "invalid_choice"),
        ({"format": "html", "from": "2030-02-01", "to": "2030-01-01"}, "from", "invalid_range"),
        ({"format": "html", "from": "not a date"}, "from", "invalid"),
        ({"format": "html", "from": "2020-01-01", "to": "2030-01-01"}, "to", "range_too_long"),
        ({}, "format", "required"),
    ],
)
def test_bad_requests_answer_400_and_create_nothing(org, client_as, data, field, code):
    body = assert_error(client_as("member").post(f"/api/v1/reports/{org.id}/exports", data), 400, code)
    assert field in [e["field"] for e in body["errors"]]
    assert not ReportExport.objects.exists()


def test_exports_are_listed_newest_first(org, request_export, client_as):
    first = request_export("csv").json()["id"]
    second = request_export("html").json()["id"]
    data = client_as("viewer").get(f"/api/v1/reports/{org.id}/exports").json()["data"]
    assert [e["id"] for e in data] == [second, first]


def test_a_failure_marks_the_export_failed_without_a_500(org, request_export, monkeypatch, client_as):
    def broken(report, fmt):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rendering, "render_report", broken)
    body = request_export("html").json()
    assert (body["state"], body["error"], body["download_url"]) == (
        "failed",
        "The report could not be built.",
        None,
    )
    assert_error(client_as("member").get(f"/api/v1/reports/exports/{body['id']}/download"), 409, "export_not_ready")


def test_building_twice_builds_once(org, request_export):
    export = ReportExport.objects.get(pk=request_export("csv").json()["id"])
    name = export.file.name
    assert services.report_export_build(export_id=export.pk) is None
    export.refresh_from_db()
    assert (export.state, export.file.name) == (ExportState.SUCCEEDED, name)


def test_an_export_abandoned_by_a_dead_worker_is_taken_over(org, freeze_today, settings):
    freeze_today("2030-01-20")
    started = timezone.now() - datetime.timedelta(seconds=settings.REPORT_EXPORT_STALE_SECONDS + 1)
    export = ReportExportFactory(
        organization=org.organization,
        requested_by=None,
        date_to=datetime.date(2030, 1, 7),
        state=ExportState.RUNNING,
        claimed_at=started,
        heartbeat_at=started,
    )
    assert services.report_export_build(export_id=export.pk).state == ExportState.SUCCEEDED
    # One still running recently belongs to a live worker: left alone.
    live = ReportExportFactory(
        organization=org.organization,
        requested_by=None,
        date_to=datetime.date(2030, 1, 7),
        state=ExportState.RUNNING,
        claimed_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    assert services.report_export_build(export_id=live.pk) is None
    live.refresh_from_db()
    assert live.state == ExportState.RUNNING


def test_an_unknown_export_id_is_ignored_by_the_task(db):
    from reports.tasks import build_report_export

    assert build_report_export("00000000-0000-0000-0000-000000000000") is None


def test_a_file_gone_from_storage_answers_404(org, request_export, client_as):
    export = ReportExport.objects.get(pk=request_export("csv").json()["id"])
    export.file.storage.delete(export.file.name)
    assert_error(client_as("member").get(f"/api/v1/reports/exports/{export.pk}/download"), 404, "not_found")


class TestDownloadPermissions:
    @pytest.fixture
    def export_id(self, request_export):
        return request_export("html").json()["id"]

    @pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
    def test_every_member_of_its_organization_downloads(self, client_as, export_id, role):
        assert client_as(role).get(f"/api/v1/reports/exports/{export_id}/download").status_code == 200

    def test_a_member_of_another_organization_gets_404(self, client_as, export_id):
        assert_error(client_as("outsider").get(f"/api/v1/reports/exports/{export_id}/download"), 404, "not_found")

    def test_a_removed_member_gets_404(self, client_as, org, export_id):
        client = client_as("member")
        org.organization.memberships.filter(user=org.member).delete()
        assert_error(client.get(f"/api/v1/reports/exports/{export_id}/download"), 404, "not_found")

    def test_anonymous_gets_401(self, client_as, export_id):
        assert_error(client_as("anonymous").get(f"/api/v1/reports/exports/{export_id}/download"), 401)
