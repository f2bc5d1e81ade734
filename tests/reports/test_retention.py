"""Built report files are deleted RETENTION_REPORT_FILES_DAYS after they were built; the export stays, `expired`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports import services
from reports.models import ExportState, ReportExport
from tests.factories import ReportExportFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def built(org):
    """A built export of ``org`` that finished ``age`` ago."""

    def make(age: timedelta) -> ReportExport:
        export = services.report_export_build(export_id=ReportExportFactory(organization=org.organization).pk)
        assert export.state == ExportState.SUCCEEDED
        ReportExport.objects.filter(pk=export.pk).update(finished_at=NOW - age)
        export.refresh_from_db()
        return export

    return make


def test_only_files_built_more_than_the_age_ago_go(settings, built):
    settings.RETENTION_REPORT_FILES_DAYS = 7
    old = [built(timedelta(days=7, seconds=1)) for _ in range(3)]
    at_cutoff = built(timedelta(days=7))
    recent = built(timedelta(hours=1))
    failed = ReportExportFactory(state=ExportState.FAILED, finished_at=NOW - timedelta(days=30))
    storage = recent.file.storage
    names = [export.file.name for export in old]

    assert services.report_files_purge(now=NOW, dry_run=True) == 3
    assert all(storage.exists(name) for name in names)
    assert services.report_files_purge(now=NOW, batch_size=2) == 3

    assert not any(storage.exists(name) for name in names)
    states = dict(ReportExport.objects.values_list("pk", "state"))
    assert [states[export.pk] for export in old] == [ExportState.EXPIRED] * 3
    assert (states[at_cutoff.pk], states[recent.pk], states[failed.pk]) == ("succeeded", "succeeded", "failed")
    assert storage.exists(at_cutoff.file.name)
    assert ReportExport.objects.filter(file="").count() == 4  # the three expired, and the failed one (never built)


def test_an_expired_export_answers_410_and_says_so(settings, built, client_as):
    settings.RETENTION_REPORT_FILES_DAYS = 7
    export = built(timedelta(days=8))
    client = client_as("member")
    before = client.get(f"/api/v1/reports/exports/{export.pk}").json()
    assert before["download_url"]
    assert before["expires_at"] == (export.finished_at + timedelta(days=7)).isoformat().replace("+00:00", "Z")

    services.report_files_purge()

    body = client.get(f"/api/v1/reports/exports/{export.pk}").json()
    assert (body["state"], body["download_url"], body["expires_at"]) == ("expired", None, before["expires_at"])
    assert_error(client.get(f"/api/v1/reports/exports/{export.pk}/download"), 410, "export_expired")
    listed = client.get(f"/api/v1/reports/{export.organization_id}/exports").json()["data"]
    assert [item["state"] for item in listed] == ["expired"]


def test_an_export_not_built_has_no_expiry(org, client_as):
    export = ReportExportFactory(organization=org.organization)
    body = client_as("member").get(f"/api/v1/reports/exports/{export.pk}").json()
    assert (body["state"], body["expires_at"]) == ("pending", None)
