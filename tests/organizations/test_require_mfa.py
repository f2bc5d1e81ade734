"""Organizations that require a second factor: owners switch it on; members without one get 403
``mfa_required`` on every endpoint of that organization until they enrol, and can still see and leave it."""

import pytest

from organizations.models import Organization
from tasks_app.services import task_create
from tests.factories import ImportJobFactory, ReportExportFactory, TaskFactory
from tests.mfa.conftest import MFA, TOTP
from tests.organizations.assertions import assert_error, assert_page

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def strict(org):
    """``org`` requires a second factor, with a task, an import job and a report export in it."""
    Organization.objects.filter(pk=org.id).update(require_mfa=True)
    org.organization.refresh_from_db()
    org.task = task_create(organization=org.organization, created_by=org.member, title="Secret plan")
    org.job = ImportJobFactory(organization=org.organization, created_by=org.admin)
    org.export = ReportExportFactory(organization=org.organization, requested_by=org.admin)
    return org


# One endpoint and method of every family of organization-scoped endpoints, as the admin calls them:
# {o} the organization, {t} its task, {j} its import job, {e} its report export, {m} a member.
ENDPOINTS = [
    ("get", "organizations/{o}", None),
    ("patch", "organizations/{o}", {"name": "Renamed"}),
    ("get", "organizations/{o}/members", None),
    ("get", "organizations/{o}/members/{m}", None),
    ("get", "organizations/{o}/invitations", None),
    ("post", "tasks", {"organization": "{o}", "title": "New"}),
    ("get", "tasks/{t}", None),
    ("patch", "tasks/{t}", {"title": "Renamed"}),
    ("get", "tasks/{t}/comments", None),
    ("get", "tasks/{t}/activity", None),
    ("get", "organizations/{o}/imports", None),
    ("get", "imports/{j}", None),
    ("get", "imports/{j}/status", None),
    ("get", "reports/{o}?from=2030-01-01&to=2030-01-31", None),
    ("get", "reports/{o}/exports", None),
    ("get", "reports/{o}/settings", None),
    ("get", "reports/exports/{e}", None),
]


def call(client, org, endpoint):
    method, path, body = endpoint
    ids = {"o": org.id, "t": org.task.pk, "j": org.job.pk, "e": org.export.pk, "m": org.member.pk}
    body = {key: value.format(**ids) for key, value in body.items()} if body else None
    return getattr(client, method)(f"{API}/{path.format(**ids)}", body, format="json")


ENDPOINT_IDS = [f"{method} {path.split('?')[0]}" for method, path, _ in ENDPOINTS]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_members_without_a_second_factor_get_403_mfa_required(client_for, strict, endpoint):
    assert_error(call(client_for(strict.admin), strict, endpoint), 403, "mfa_required")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_members_with_a_second_factor_pass(client_for, strict, enrol, endpoint):
    enrol(strict.admin)
    response = call(client_for(strict.admin), strict, endpoint)
    assert response.status_code < 300, response.content


def test_superusers_are_held_to_it_too(client_for, strict, superuser, enrol):
    assert_error(client_for(superuser).get(f"{API}/organizations/{strict.id}"), 403, "mfa_required")
    enrol(superuser)
    assert client_for(superuser).get(f"{API}/organizations/{strict.id}").status_code == 200


def test_outsiders_still_get_404(client_for, strict, outsider):
    assert_error(client_for(outsider).get(f"{API}/organizations/{strict.id}"), 404, "not_found")


def test_top_level_lists_leave_the_organization_out_until_the_member_enrols(client_for, strict, other_org, enrol):
    from organizations.models import Membership, Role

    Membership.objects.create(organization=other_org.organization, user=strict.member, role=Role.MEMBER)
    TaskFactory(organization=other_org.organization, title="Open plan", assignee=strict.member)
    client = client_for(strict.member)

    assert [task["title"] for task in assert_page(client.get(f"{API}/tasks"))] == ["Open plan"]
    assert [task["title"] for task in assert_page(client.get(f"{API}/tasks/assigned"))] == ["Open plan"]

    enrol(strict.member)
    titles = {task["title"] for task in assert_page(client_for(strict.member).get(f"{API}/tasks"))}
    assert titles == {"Open plan", "Secret plan"}


def test_the_organization_list_shows_it_and_the_requirement(client_for, strict):
    rows = assert_page(client_for(strict.member).get(f"{API}/organizations"))
    assert [(row["id"], row["require_mfa"]) for row in rows] == [(str(strict.id), True)]


def test_a_member_may_leave_without_enrolling_but_not_remove_others(client_for, strict):
    admin = client_for(strict.admin)
    assert_error(admin.delete(f"{API}/organizations/{strict.id}/members/{strict.member.pk}"), 403, "mfa_required")
    member = client_for(strict.member)
    assert member.delete(f"{API}/organizations/{strict.id}/members/{strict.member.pk}").status_code == 204


def test_enrolment_stays_reachable_and_enrolling_opens_the_organization(client_for, strict, clock):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import totp_code

    client = client_for(strict.member)
    assert client.get(MFA).status_code == 200
    assert client.post(TOTP).status_code == 201
    code = totp_code(TOTPDevice.objects.get(user=strict.member), at=clock.now)
    assert client.post(f"{TOTP}/confirm", {"code": code}, format="json").status_code == 200
    assert client.get(f"{API}/organizations/{strict.id}").status_code == 200


# --- Switching it on and off -----------------------------------------------------------------


def test_an_owner_with_a_second_factor_switches_it_on(client_for, org, enrol):
    enrol(org.owner)
    response = client_for(org.owner).patch(f"{API}/organizations/{org.id}", {"require_mfa": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["require_mfa"] is True
    org.organization.refresh_from_db()
    assert org.organization.require_mfa is True
    # Members without one are now held off.
    assert_error(client_for(org.member).get(f"{API}/organizations/{org.id}"), 403, "mfa_required")


def test_an_owner_without_a_second_factor_cannot_switch_it_on(client_for, org):
    response = client_for(org.owner).patch(f"{API}/organizations/{org.id}", {"require_mfa": True}, format="json")
    assert_error(response, 409, "mfa_not_enabled")
    org.organization.refresh_from_db()
    assert org.organization.require_mfa is False


def test_admins_cannot_change_it(client_for, org, enrol):
    enrol(org.admin)
    response = client_for(org.admin).patch(f"{API}/organizations/{org.id}", {"require_mfa": True}, format="json")
    assert_error(response, 403, "permission_denied")
    # Renaming stays theirs, and sending the current value is no change.
    response = client_for(org.admin).patch(
        f"{API}/organizations/{org.id}", {"name": "Renamed", "require_mfa": False}, format="json"
    )
    assert response.status_code == 200


def test_an_owner_switches_it_off(client_for, strict, enrol):
    enrol(strict.owner)
    response = client_for(strict.owner).patch(f"{API}/organizations/{strict.id}", {"require_mfa": False}, format="json")
    assert response.status_code == 200
    assert client_for(strict.member).get(f"{API}/organizations/{strict.id}").status_code == 200
