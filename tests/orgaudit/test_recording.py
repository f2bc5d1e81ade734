"""Each change to an organization leaves exactly one audit record, in its transaction, naming who acted
(a person's session, a personal access token, staff in the admin, the system), from where, and what changed."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from config.request_context import ActorKind, request_actor, request_bound
from organizations import services as org_services
from organizations.models import Invitation, Membership, Role
from orgaudit.models import OrganizationAuditRecord
from reports.models import ReportExport
from reports.tasks import build_report_export
from tests.factories import InvitationFactory, OrganizationFactory, ReportExportFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def records(org, action=None):
    found = OrganizationAuditRecord.objects.filter(organization_id=org.id)
    return list(found.filter(action=action) if action else found)


def only(org, action) -> OrganizationAuditRecord:
    found = records(org, action)
    assert len(found) == 1, [(r.action, r.target_label) for r in records(org)]
    return found[0]


def headers():
    request_id = uuid.uuid4().hex
    return request_id, {"HTTP_X_REQUEST_ID": request_id, "REMOTE_ADDR": IP}


def test_a_persons_role_change_names_them_their_address_and_request(org, client_for):
    request_id, meta = headers()
    response = client_for(org.admin).patch(
        f"/api/v1/organizations/{org.id}/members/{org.member.pk}", {"role": "viewer"}, **meta
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == request_id
    record = only(org, "member.role_changed")
    assert (record.actor, record.actor_kind, record.ip, record.request_id) == (
        org.admin,
        ActorKind.PERSON,
        IP,
        request_id,
    )
    assert (record.target_type, record.target_label) == ("membership", org.member.email)
    assert record.before == {"role": "member"}
    assert record.after == {"user": str(org.member.pk), "role": "viewer"}
    assert (record.credential_id, record.credential_label) == ("", "")
    assert len(records(org)) == 1


def test_a_token_is_named_by_id_and_name(org, client_with_token):
    client = client_with_token(org.admin, scopes=["org:admin"], organizations=[org.organization])
    response = client.post(
        f"/api/v1/organizations/{org.id}/invitations", {"email": "new@example.com", "role": "member"}, REMOTE_ADDR=IP
    )
    assert response.status_code == 201
    record = only(org, "invitation.created")
    assert (record.actor, record.actor_kind, record.ip) == (org.admin, ActorKind.TOKEN, IP)
    assert (record.credential_id, record.credential_label) == (str(client.token.pk), client.token.name)
    assert (record.target_type, record.target_id, record.target_label) == (
        "invitation",
        response.json()["id"],
        "new@example.com",
    )
    assert record.after["role"] == "member"


def test_invitations_resent_and_revoked(org, client_for):
    invitation = InvitationFactory(organization=org.organization, invited_by=org.admin)
    client = client_for(org.admin)
    url = f"/api/v1/organizations/{org.id}/invitations/{invitation.pk}"
    assert client.post(f"{url}/resend").status_code == 200
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 204  # revoking twice: nothing changed the second time
    resent = only(org, "invitation.resent")
    assert set(resent.before) == set(resent.after) == {"expires_at"}
    revoked = only(org, "invitation.revoked")
    assert (revoked.actor, revoked.before["email"]) == (org.admin, invitation.email)
    assert revoked.after["revoked_at"]


def test_organization_settings_before_and_after(org, client_for):
    response = client_for(org.owner).patch(f"/api/v1/organizations/{org.id}", {"name": "Acme Two"})
    assert response.status_code == 200
    record = only(org, "organization.updated")
    assert (record.before, record.after) == ({"name": "Acme"}, {"name": "Acme Two"})
    assert record.target_label == "Acme Two"
    client_for(org.owner).patch(f"/api/v1/organizations/{org.id}", {"name": "Acme Two"})
    assert len(records(org, "organization.updated")) == 1  # no change, no record


def test_creating_an_organization_is_its_first_record(client_for, user):
    response = client_for(user).post("/api/v1/organizations", {"name": "Fresh"})
    record = OrganizationAuditRecord.objects.get(organization_id=response.json()["id"])
    assert (record.action, record.actor, record.after["name"]) == ("organization.created", user, "Fresh")


def test_report_settings(org, client_for):
    response = client_for(org.admin).patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True})
    assert response.status_code == 200
    record = only(org, "report_settings.updated")
    assert (record.before, record.after, record.actor) == ({"weekly_email": False}, {"weekly_email": True}, org.admin)


def test_an_import_is_started_by_a_person_and_finished_by_the_system(
    org, client_for, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("tasks.csv", b"title\nImported\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.admin).post(
            f"/api/v1/organizations/{org.id}/imports", {"file": upload, "kind": "tasks"}, format="multipart"
        )
    assert response.status_code == 202, response.content
    started = only(org, "import.started")
    assert (started.actor, started.actor_kind, started.target_label) == (org.admin, ActorKind.PERSON, "tasks.csv")
    assert started.after["rows"] == 1
    finished = only(org, "import.finished")
    assert (finished.actor_kind, finished.ip) == (ActorKind.SYSTEM, None)


def test_report_export_requested_by_a_person(org, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.member).post(f"/api/v1/reports/{org.id}/exports", {"format": "csv"})
    assert response.status_code == 202
    requested = only(org, "report.export_requested")
    assert (requested.actor, requested.after["format"]) == (org.member, "csv")
    assert only(org, "report.export_ready").actor_kind == ActorKind.SYSTEM


def test_a_task_run_inside_a_request_acts_as_the_system(org):
    """Eager Celery runs a task in the request's thread; it still reads as the worker it stands for."""
    export = ReportExportFactory(organization=org.organization, requested_by=org.member)
    request = RequestFactory().post("/api/v1/anything", REMOTE_ADDR=IP)
    request.user = org.member
    with request_bound(request):
        assert request_actor().kind == ActorKind.PERSON
        build_report_export.delay(str(export.pk))
    record = only(org, "report.export_ready")
    assert (record.actor, record.actor_kind, record.ip) == (None, ActorKind.SYSTEM, None)
    assert ReportExport.objects.get(pk=export.pk).state == "succeeded"


def test_a_command_or_worker_naming_a_person_is_the_system_with_that_person(org):
    membership = Membership.objects.get(organization_id=org.id, user=org.viewer)
    org_services.membership_change_role(membership=membership, role=Role.MEMBER, actor=org.owner)
    record = only(org, "member.role_changed")
    assert (record.actor, record.actor_kind, record.request_id) == (org.owner, ActorKind.SYSTEM, "")


def test_personal_access_tokens_are_recorded_in_each_organization_they_reach(org, other_org, client_for):
    owner = org.owner
    Membership.objects.create(organization=other_org.organization, user=owner, role=Role.MEMBER)
    client = client_for(owner)
    body = {
        "name": "CI",
        "scopes": ["tasks:read"],
        "organizations": [str(org.id), str(other_org.id)],
        "expires_at": (timezone.now() + timedelta(days=5)).isoformat(),
    }
    response = client.post("/api/v1/users/me/tokens", body, format="json")
    assert response.status_code == 201, response.content
    token_id = response.json()["id"]
    for organization in (org, other_org):
        created = only(organization, "token.created")
        assert (created.target_type, created.target_id, created.target_label) == ("personalaccesstoken", token_id, "CI")
        assert created.after["scopes"] == ["tasks:read"]
        assert response.json()["token"] not in str(created.after)  # never the secret
    assert client.delete(f"/api/v1/users/me/tokens/{token_id}").status_code == 204
    for organization in (org, other_org):
        assert only(organization, "token.revoked").after["reason"] == "owner"


def test_an_organization_admin_revoking_a_token_is_recorded(org, client_for, client_with_token):
    holder = client_with_token(org.member, scopes=["tasks:read"], organizations=[org.organization])
    response = client_for(org.admin).delete(f"/api/v1/organizations/{org.id}/tokens/{holder.token.pk}")
    assert response.status_code == 204
    record = only(org, "token.revoked")
    assert (record.actor, record.target_label) == (org.admin, holder.token.name)


def test_staff_in_the_admin(org, staff, superuser):
    pending = InvitationFactory(organization=org.organization)
    response = staff.post(
        "/admin/organizations/invitation/",
        {"action": "revoke_invitations", "_selected_action": [pending.pk]},
        REMOTE_ADDR=IP,
    )
    assert response.status_code == 302
    record = only(org, "invitation.revoked")
    assert (record.actor, record.actor_kind, record.ip) == (superuser, ActorKind.STAFF, IP)


def test_staff_editing_an_organization_in_the_admin(org, staff, superuser):
    from tests.organizations.test_admin import inline_data

    data = inline_data(org, roles={org.viewer.pk: Role.MEMBER}) | {"name": "Renamed"}
    response = staff.post(f"/admin/organizations/organization/{org.id}/change/", data)
    assert response.status_code == 302
    renamed = only(org, "organization.updated")
    assert (renamed.actor, renamed.actor_kind, renamed.after) == (superuser, ActorKind.STAFF, {"name": "Renamed"})
    role = only(org, "member.role_changed")
    assert (role.actor, role.actor_kind, role.after["role"]) == (superuser, ActorKind.STAFF, "member")


def test_a_change_that_rolls_back_leaves_no_record(org):
    def change_then_fail():
        with transaction.atomic():
            org_services.invitation_create(
                organization=org.organization, email="gone@example.com", role=Role.MEMBER, invited_by=org.admin
            )
            written.append(len(records(org, "invitation.created")))  # inside the change's transaction
            raise RuntimeError("the request failed after the change")

    written = []
    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written == [1]
    assert records(org) == []
    assert not Invitation.objects.filter(email="gone@example.com").exists()


def test_a_refused_change_leaves_no_record(org, client_for):
    response = client_for(org.admin).patch(f"/api/v1/organizations/{org.id}/members/{org.owner.pk}", {"role": "member"})
    assert response.status_code == 403
    assert records(org) == []


def test_the_record_outlives_its_target(org, client_for):
    task = client_for(org.member).post("/api/v1/tasks", {"organization": str(org.id), "title": "Short-lived"}).json()
    assert client_for(org.member).delete(f"/api/v1/tasks/{task['id']}").status_code == 204
    deleted = only(org, "task.deleted")
    assert (deleted.target_id, deleted.target_label) == (task["id"], "Short-lived")


def test_records_of_one_organization_stay_there(org, other_org, client_for):
    client_for(org.owner).patch(f"/api/v1/organizations/{org.id}", {"name": "Only here"})
    assert records(other_org) == []
    assert OrganizationFactory()  # an organization made by a factory, not a service, has no record
    assert OrganizationAuditRecord.objects.count() == 1
