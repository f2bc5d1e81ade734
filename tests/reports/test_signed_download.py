"""A built export's ``download_url`` is a signed, short-lived link: a plain ``<a href>`` with no bearer header,
for that export only, refused once expired, altered, reused for another export, or when its person lost access."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from config.signed_links import signed_link_token
from reports import services
from reports.models import ExportState, ReportExport
from reports.serializers import SIGNED_DOWNLOAD_PURPOSE
from tests.factories import ReportExportFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def build():
    def make(organization) -> ReportExport:
        export = services.report_export_build(export_id=ReportExportFactory(organization=organization).pk)
        assert export.state == ExportState.SUCCEEDED
        return export

    return make


@pytest.fixture
def export(org, build):
    return build(org.organization)


def link_of(client, export) -> str:
    body = client.get(f"/api/v1/reports/exports/{export.pk}").json()
    return body["download_url"]


def signed_path(export_id, token) -> str:
    return f"/api/v1/reports/exports/{export_id}/signed-download?token={token}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def later(monkeypatch, seconds):
    """Move the clock the signatures read (``time.time``) ``seconds`` ahead."""
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + seconds)


def test_the_link_downloads_without_a_bearer_header(client_as, api_client, export, settings):
    member = client_as("member")
    body = member.get(f"/api/v1/reports/exports/{export.pk}").json()
    expires_at = timezone.datetime.fromisoformat(body["download_url_expires_at"].replace("Z", "+00:00"))
    # Links are made in steps of a fifth of their age (config/signed_links.py): one works 4/5 to 5/5 of it.
    lifetime = (expires_at - timezone.now()).total_seconds()
    assert settings.SIGNED_LINK_MAX_AGE_SECONDS * 4 / 5 - 1 <= lifetime <= settings.SIGNED_LINK_MAX_AGE_SECONDS

    response = api_client.get(body["download_url"])  # no credentials at all

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="report-')
    assert response["Cache-Control"] == "private, no-store"
    signed = b"".join(response.streaming_content)
    authenticated = member.get(body["api_download_url"])
    assert signed == b"".join(authenticated.streaming_content)
    # The authenticated URL still needs the sign-in.
    assert_error(api_client.get(body["api_download_url"]), 401)


def test_the_link_expires(client_as, api_client, export, monkeypatch, settings):
    settings.SIGNED_LINK_MAX_AGE_SECONDS = 300
    body = client_as("member").get(f"/api/v1/reports/exports/{export.pk}").json()
    expires_at = timezone.datetime.fromisoformat(body["download_url_expires_at"].replace("Z", "+00:00"))
    lifetime = (expires_at - timezone.now()).total_seconds()
    later(monkeypatch, lifetime - 2)
    assert api_client.get(body["download_url"]).status_code == 200
    later(monkeypatch, lifetime + 2)
    assert_error(api_client.get(body["download_url"]), 403, "link_expired")


def test_reads_within_a_step_get_the_same_link_and_etag(client_as, export, monkeypatch, settings):
    """A fifth of the age is one step: reads within it answer the same link (the same ETag, so 304)."""
    settings.SIGNED_LINK_MAX_AGE_SECONDS = 300
    step_start = time.time() // 60 * 60
    monkeypatch.setattr(signing.time, "time", lambda: step_start + 1)
    member = client_as("member")
    url = f"/api/v1/reports/exports/{export.pk}"
    first = member.get(url)
    monkeypatch.setattr(signing.time, "time", lambda: step_start + 59)
    assert member.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    monkeypatch.setattr(signing.time, "time", lambda: step_start + 61)
    second = member.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second.json()["download_url"] != first.json()["download_url"]


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "x" + token[1:],  # the payload
        lambda token: "",
        lambda token: "not-a-token",
        lambda token: "é:ü:" + token,
        lambda token: token + ":" + token,
    ],
)
def test_an_altered_link_is_refused(client_as, api_client, export, alter):
    token = token_of(link_of(client_as("member"), export))
    assert_error(api_client.get(signed_path(export.pk, alter(token))), 403, "link_invalid")


def test_a_link_without_its_token_is_refused(api_client, export):
    assert_error(api_client.get(f"/api/v1/reports/exports/{export.pk}/signed-download"), 403, "link_invalid")


def test_a_link_opens_its_own_export_only(org, client_as, api_client, export, build):
    other = build(org.organization)
    token = token_of(link_of(client_as("member"), export))
    assert_error(api_client.get(signed_path(other.pk, token)), 403, "link_invalid")


def test_a_token_made_for_another_purpose_is_refused(org, api_client, export):
    token = signed_link_token(purpose="another-purpose", subject=export.pk, user_id=org.member.pk)
    assert_error(api_client.get(signed_path(export.pk, token)), 403, "link_invalid")
    # The very signing of the project's other signed values (no salt of ours) is no link either.
    plain = signing.dumps({"s": str(export.pk), "u": str(org.member.pk)})
    assert_error(api_client.get(signed_path(export.pk, plain)), 403, "link_invalid")


def test_a_deleted_export_answers_404(client_as, api_client, export):
    link = link_of(client_as("member"), export)
    ReportExport.objects.filter(pk=export.pk).delete()
    assert_error(api_client.get(link), 404, "not_found")


def test_an_export_expired_by_retention_answers_410(client_as, api_client, export, settings):
    link = link_of(client_as("member"), export)
    settings.RETENTION_REPORT_FILES_DAYS = 7
    ReportExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=8))
    services.report_files_purge()
    assert_error(api_client.get(link), 410, "export_expired")


class TestOrganizations:
    def test_a_member_removed_since_cannot_use_their_link(self, org, client_as, api_client, export):
        link = link_of(client_as("member"), export)
        org.organization.memberships.filter(user=org.member).delete()
        assert_error(api_client.get(link), 404, "not_found")

    def test_a_deactivated_account_cannot_use_its_link(self, org, client_as, api_client, export):
        link = link_of(client_as("member"), export)
        type(org.member).objects.filter(pk=org.member.pk).update(is_active=False)
        assert_error(api_client.get(link), 404, "not_found")

    def test_a_deleted_organization_takes_its_links(self, org, client_as, api_client, export):
        link = link_of(client_as("member"), export)
        org.organization.soft_delete(by=org.owner)
        assert_error(api_client.get(link), 404, "not_found")

    def test_a_link_for_another_organizations_export_opens_nothing_here(
        self, org, other_org, client_for, api_client, export, build
    ):
        theirs = build(other_org.organization)
        their_token = token_of(link_of(client_for(other_org.member), theirs))
        assert_error(api_client.get(signed_path(export.pk, their_token)), 403, "link_invalid")
        # A link their member could only have made by forging: made for them, for our export.
        forged = signed_link_token(purpose=SIGNED_DOWNLOAD_PURPOSE, subject=export.pk, user_id=other_org.member.pk)
        assert_error(api_client.get(signed_path(export.pk, forged)), 404, "not_found")

    def test_outsiders_get_no_link(self, client_as, export):
        assert_error(client_as("outsider").get(f"/api/v1/reports/exports/{export.pk}"), 404, "not_found")

    @pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
    def test_every_role_gets_a_working_link(self, client_as, api_client, export, role):
        assert api_client.get(link_of(client_as(role), export)).status_code == 200


def test_a_link_is_answered_only_once_built(org, client_as):
    pending = ReportExportFactory(organization=org.organization)
    body = client_as("member").get(f"/api/v1/reports/exports/{pending.pk}").json()
    assert (body["download_url"], body["download_url_expires_at"], body["api_download_url"]) == (None, None, None)
