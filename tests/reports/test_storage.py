"""Exports in the shared bucket (``STORAGE_BACKEND=s3``, against the S3 stand-in of tests/fixtures/storage.py): a
download, by the API or by the signed link, is a 302 to a short-lived presigned link of the bucket that serves
the file as a named attachment; who may download is decided here first, exactly as with local files."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from reports import rendering, services
from reports.models import ExportState, ReportExport
from tests.factories import ReportExportFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(org, s3_storage) -> ReportExport:
    export = services.report_export_build(export_id=ReportExportFactory(organization=org.organization, format="csv").pk)
    assert export.state == ExportState.SUCCEEDED
    return export


def api_path(export) -> str:
    return f"/api/v1/reports/exports/{export.pk}/download"


def signed_link(client, export) -> str:
    return client.get(f"/api/v1/reports/exports/{export.pk}").json()["download_url"]


def assert_presigned_redirect(response, export, bucket) -> None:
    """The answer is a 302 to the object's presigned link, which the bucket answers with the file."""
    assert response.status_code == 302, response.content
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    key = export.file.name
    assert location.startswith(f"{bucket.endpoint}/{bucket.name}/{key}?")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    answer = requests.get(location, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    assert answer.headers["Content-Type"] == rendering.CONTENT_TYPES["csv"]
    assert answer.content == bucket.read(key)


def test_the_export_is_an_object_of_the_bucket(export, s3_storage):
    assert s3_storage.keys() == [f"reports/exports/{export.organization_id}/{export.pk}.csv"]
    assert s3_storage.head(export.file.name)["ContentType"] == "text/csv"


def test_the_api_download_redirects_to_a_presigned_link(client_as, export, s3_storage):
    assert_presigned_redirect(client_as("member").get(api_path(export)), export, s3_storage)


def test_the_signed_link_redirects_to_a_presigned_link(client_as, api_client, export, s3_storage):
    link = signed_link(client_as("viewer"), export)
    assert_presigned_redirect(api_client.get(link), export, s3_storage)


def test_the_schema_documents_the_redirect(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/reports/exports/{id}/download", "/api/v1/reports/exports/{id}/signed-download"):
        assert "302" in schema["paths"][path]["get"]["responses"], path


class TestMissingObject:
    def test_the_api_download_answers_404(self, client_as, export, s3_storage):
        s3_storage.delete(export.file.name)
        assert_error(client_as("member").get(api_path(export)), 404, "not_found")

    def test_the_signed_link_answers_404(self, client_as, api_client, export, s3_storage):
        link = signed_link(client_as("member"), export)
        s3_storage.delete(export.file.name)
        assert_error(api_client.get(link), 404, "not_found")


class TestWhoMayDownload:
    @pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
    def test_every_member_of_its_organization_is_redirected(self, client_as, export, role):
        assert client_as(role).get(api_path(export)).status_code == 302

    def test_a_member_of_another_organization_gets_404_and_no_link(self, client_as, export):
        response = client_as("outsider").get(api_path(export))
        assert_error(response, 404, "not_found")
        assert "Location" not in response

    def test_a_removed_member_gets_404(self, client_as, org, export):
        client = client_as("member")
        link = signed_link(client, export)
        org.organization.memberships.filter(user=org.member).delete()
        assert_error(client.get(api_path(export)), 404, "not_found")
        assert_error(client_as("anonymous").get(link), 404, "not_found")

    def test_anonymous_gets_401(self, client_as, export):
        assert_error(client_as("anonymous").get(api_path(export)), 401)

    def test_an_expired_export_answers_410_and_its_object_is_gone(self, client_as, export, s3_storage, settings):
        settings.RETENTION_REPORT_FILES_DAYS = 7
        ReportExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=8))
        assert services.report_files_purge() == 1
        assert s3_storage.keys() == []
        assert_error(client_as("member").get(api_path(export)), 410, "export_expired")


def test_a_bucket_that_cannot_be_reached_answers_503_not_500(client_as, export, s3_outage):
    s3_outage()
    response = client_as("member").get(api_path(export))
    assert_error(response, 503, "service_unavailable")
    assert response["Retry-After"]


def test_an_export_built_while_the_bucket_cannot_be_reached_is_built_again_later_not_failed(org, s3_outage):
    pending = ReportExportFactory(organization=org.organization, format="csv")
    s3_outage()
    export = services.report_export_build(export_id=pending.pk)
    export.refresh_from_db()
    assert export.state == ExportState.RUNNING
    assert export.heartbeat_at is None  # a lost run at once: the next claim or the sweep builds it again
    assert export.last_error.startswith("StorageUnavailable")
