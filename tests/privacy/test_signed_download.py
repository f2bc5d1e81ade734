"""One's data export has a signed ``download_url`` too: a plain link, for that export and its person only, while
it is their latest export and has not expired, for SIGNED_LINK_MAX_AGE_SECONDS."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from config.signed_links import signed_link_token
from privacy.models import DataExport
from reports.serializers import SIGNED_DOWNLOAD_PURPOSE as REPORT_PURPOSE
from tests.factories import DataExportFactory
from tests.organizations.assertions import assert_error
from tests.privacy.conftest import EXPORT

pytestmark = pytest.mark.django_db

SIGNED = "/api/v1/users/me/export/signed-download"


@pytest.fixture
def export(user):
    return DataExportFactory(user=user, built=True)


def link(client) -> str:
    return client.get(EXPORT).json()["download_url"]


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_the_link_downloads_without_a_bearer_header(auth_client, api_client, export):
    body = auth_client.get(EXPORT).json()
    assert body["api_download_url"] == "http://testserver/api/v1/users/me/export/download"
    assert body["download_url_expires_at"]

    response = api_client.get(body["download_url"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b'{"format": "workspace-personal-data"}'


def test_the_link_expires(auth_client, api_client, export, monkeypatch, settings):
    url = link(auth_client)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + settings.SIGNED_LINK_MAX_AGE_SECONDS + 1)
    assert_error(api_client.get(url), 403, "link_expired")


def test_an_altered_or_foreign_token_is_refused(auth_client, api_client, user, export):
    token = token_of(link(auth_client))
    assert_error(api_client.get(f"{SIGNED}?token={token[:-2]}xx"), 403, "link_invalid")
    assert_error(api_client.get(SIGNED), 403, "link_invalid")
    # A report export's link, even for the same id and person, is no data export link.
    report_token = signed_link_token(purpose=REPORT_PURPOSE, subject=export.pk, user_id=user.pk)
    assert_error(api_client.get(f"{SIGNED}?token={report_token}"), 403, "link_invalid")


def test_the_link_opens_its_own_persons_export_only(client_for, api_client, user, export):
    other = DataExportFactory(built=True)
    # Their export id with my name on it, as only a forger could make: nothing.
    forged = signed_link_token(purpose="data-export-download", subject=other.pk, user_id=user.pk)
    assert_error(api_client.get(f"{SIGNED}?token={forged}"), 404, "not_found")
    theirs = link(client_for(other.user))
    mine = link(client_for(user))
    assert b"".join(api_client.get(theirs).streaming_content) == b"".join(api_client.get(mine).streaming_content)
    assert token_of(theirs) != token_of(mine)


def test_a_newer_export_or_the_expiry_takes_the_link(auth_client, api_client, user, export):
    url = link(auth_client)
    DataExportFactory(user=user)  # started since: the latest is this one, still pending
    assert_error(api_client.get(url), 404, "not_found")
    DataExport.objects.exclude(pk=export.pk).delete()
    assert api_client.get(url).status_code == 200
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api_client.get(url), 404, "not_found")


def test_a_deactivated_account_cannot_use_its_link(auth_client, api_client, user, export):
    url = link(auth_client)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert_error(api_client.get(url), 404, "not_found")
