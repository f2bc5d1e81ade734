"""Who may call each reports endpoint: every role of the organization reads; outsiders and unknown ids get 404."""

import uuid

import pytest

from reports.models import ReportExport
from tests.factories import MEMBER_ROLES
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

RANGE = {"from": "2030-01-01", "to": "2030-01-31"}


@pytest.fixture
def export(org, other_org, django_capture_on_commit_callbacks, client_as):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv", **RANGE})
    assert response.status_code == 202, response.content
    return ReportExport.objects.get(pk=response.json()["id"])


def endpoints(org_id, export_id):
    """(method, path, data) of every reports endpoint that members read."""
    return {
        "summary": ("get", f"/api/v1/reports/{org_id}", RANGE),
        "summary csv": ("get", f"/api/v1/reports/{org_id}", {**RANGE, "format": "csv"}),
        "export list": ("get", f"/api/v1/reports/{org_id}/exports", None),
        "export create": ("post", f"/api/v1/reports/{org_id}/exports", {"format": "html", **RANGE}),
        "export detail": ("get", f"/api/v1/reports/exports/{export_id}", None),
        "export download": ("get", f"/api/v1/reports/exports/{export_id}/download", None),
        "settings": ("get", f"/api/v1/reports/{org_id}/settings", None),
    }


ENDPOINTS = list(endpoints(None, None))


def call(client, endpoint, org_id, export_id):
    method, path, data = endpoints(org_id, export_id)[endpoint]
    return getattr(client, method)(path, data)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_every_member_may_read_reports_and_request_exports(client_as, org, export, role, endpoint):
    response = call(client_as(role), endpoint, org.id, export.pk)
    assert response.status_code in (200, 202), response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_member_of_another_organization_gets_404(client_as, org, export, endpoint):
    assert_error(call(client_as("outsider"), endpoint, org.id, export.pk), 404, "not_found")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401(client_as, org, export, endpoint):
    assert_error(call(client_as("anonymous"), endpoint, org.id, export.pk), 401)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_ids_get_404(client_as, endpoint):
    assert_error(call(client_as("member"), endpoint, uuid.uuid4(), uuid.uuid4()), 404, "not_found")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_superusers_may_read_any_organizations_reports(client_for, superuser, org, export, endpoint):
    response = call(client_for(superuser), endpoint, org.id, export.pk)
    assert response.status_code in (200, 202), response.content


def test_the_outsiders_own_organization_lists_none_of_these_exports(client_as, other_org, export):
    response = client_as("outsider").get(f"/api/v1/reports/{other_org.id}/exports")
    assert response.json()["data"] == []


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403)])
def test_only_admins_change_report_settings(client_as, org, role, status):
    response = client_as(role).patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True})
    assert response.status_code == status, response.content


@pytest.mark.parametrize(("caller", "status"), [("outsider", 404), ("anonymous", 401)])
def test_outsiders_cannot_change_report_settings(client_as, org, caller, status):
    assert_error(client_as(caller).patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True}), status)


def test_trailing_slashes_are_not_routes(client_as, org):
    """A GET is redirected to the path without it (config.views.api_not_found); other methods answer 404."""
    response = client_as("member").get(f"/api/v1/reports/{org.id}/")
    assert (response.status_code, response["Location"]) == (301, f"/api/v1/reports/{org.id}")
    patched = client_as("member").patch(f"/api/v1/reports/{org.id}/settings/", {"weekly_email": True})
    assert patched.status_code == 404
    assert patched.json()["errors"][0]["suggested_path"] == f"/api/v1/reports/{org.id}/settings"
