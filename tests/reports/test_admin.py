"""The admin lists exports with state and organization, and downloads their files."""

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import ReportExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(org, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("member").post(
            f"/api/v1/reports/{org.id}/exports", {"format": "csv", "from": "2030-01-01", "to": "2030-01-31"}
        )
    return ReportExport.objects.get(pk=response.json()["id"])


def test_the_changelist_shows_state_organization_and_a_download_link(staff, export):
    response = staff.get(reverse("admin:reports_reportexport_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    download = reverse("admin:reports_reportexport_download", args=[export.pk])
    assert download in html
    assert "succeeded" in html
    assert "Acme" in html


def test_the_detail_page_and_the_download(staff, export):
    assert staff.get(reverse("admin:reports_reportexport_change", args=[export.pk])).status_code == 200
    response = staff.get(reverse("admin:reports_reportexport_download", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"Report\r\n")


def test_the_download_needs_a_staff_sign_in(export):
    response = Client().get(reverse("admin:reports_reportexport_download", args=[export.pk]))
    assert response.status_code == 302  # to the admin login


def test_the_settings_changelist(staff, org, client_as):
    client_as("admin").patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True})
    response = staff.get(reverse("admin:reports_reportsettings_changelist"))
    assert response.status_code == 200
    assert "Acme" in response.content.decode()


def test_with_the_shared_bucket_the_download_redirects_to_a_presigned_link(staff, org, s3_storage):
    from reports import services
    from tests.factories import ReportExportFactory

    export = services.report_export_build(export_id=ReportExportFactory(organization=org.organization).pk)
    response = staff.get(reverse("admin:reports_reportexport_download", args=[export.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{s3_storage.endpoint}/{s3_storage.name}/{export.file.name}?")
    s3_storage.delete(export.file.name)
    assert staff.get(reverse("admin:reports_reportexport_download", args=[export.pk])).status_code == 404
