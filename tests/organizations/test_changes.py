"""What happens in an organization is told once, inside the transaction of the change, to the receivers of
``organization_changed`` (the audit log and webhooks build on it): the action, who did it, the row and the
values before and after."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.changes import Action, organization_changed
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    heard = []

    def receiver(sender, *, change, **kwargs):
        heard.append(change)

    organization_changed.connect(receiver, dispatch_uid="test-changes")
    yield heard
    organization_changed.disconnect(dispatch_uid="test-changes")


def only(changes, action):
    found = [change for change in changes if change.action == action]
    assert len(found) == 1, [change.action for change in changes]
    return found[0]


def test_a_task_is_told_created_updated_commented_and_deleted(org, client_for, changes):
    client = client_for(org.member)
    task = client.post("/api/v1/tasks", {"organization": str(org.id), "title": "Ship"}, format="json").json()
    created = only(changes, Action.TASK_CREATED)
    assert (created.organization_id, created.actor, created.target_id) == (org.id, org.member, task["id"])
    assert created.after["title"] == "Ship"

    client.patch(f"/api/v1/tasks/{task['id']}", {"title": "Ship it", "priority": "high"}, format="json")
    updated = only(changes, Action.TASK_UPDATED)
    assert updated.before == {"title": "Ship", "priority": 2}
    assert updated.after == {"title": "Ship it", "priority": 3}

    client.post(f"/api/v1/tasks/{task['id']}/comments", {"body": "On it"}, format="json")
    commented = only(changes, Action.COMMENT_CREATED)
    assert (commented.target_type, commented.after) == ("comment", {"task": task["id"], "body": "On it"})

    assert client.delete(f"/api/v1/tasks/{task['id']}").status_code == 204
    deleted = only(changes, Action.TASK_DELETED)
    assert (deleted.actor, deleted.target_id, deleted.before["title"]) == (org.member, task["id"], "Ship it")
    assert len({change.id for change in changes}) == 4  # each change has its own id


def test_an_edit_that_changes_nothing_is_not_told(org, client_for, changes):
    client = client_for(org.member)
    task = client.post("/api/v1/tasks", {"organization": str(org.id), "title": "Same"}, format="json").json()
    client.patch(f"/api/v1/tasks/{task['id']}", {"title": "Same"}, format="json")
    assert [change.action for change in changes] == [Action.TASK_CREATED]


def test_members_added_changed_and_removed(org, client_for, changes):
    client = client_for(org.admin)
    newcomer = UserFactory()
    members = f"/api/v1/organizations/{org.id}/members"
    assert client.post(members, {"email": newcomer.email, "role": "member"}, format="json").status_code == 201
    added = only(changes, Action.MEMBER_ADDED)
    assert (added.actor, added.after) == (org.admin, {"user": str(newcomer.pk), "role": "member"})

    client.patch(f"{members}/{newcomer.pk}", {"role": "viewer"}, format="json")
    changed = only(changes, Action.MEMBER_ROLE_CHANGED)
    assert (changed.before, changed.after["role"]) == ({"role": "member"}, "viewer")

    assert client.delete(f"{members}/{newcomer.pk}").status_code == 204
    removed = only(changes, Action.MEMBER_REMOVED)
    assert removed.before == {"user": str(newcomer.pk), "role": "viewer"}
    assert removed.target_id == str(changed.target.pk)


def test_an_accepted_invitation_is_told_with_the_member_it_adds(org, client_for, changes):
    person = UserFactory()
    invitation = InvitationFactory(organization=org.organization, email=person.email, invited_by=org.admin)
    assert client_for(person).post(f"/api/v1/invitations/{invitation.token}/accept").status_code == 200
    assert [change.action for change in changes] == [Action.INVITATION_ACCEPTED, Action.MEMBER_ADDED]
    assert {change.actor for change in changes} == {person}


def test_a_refused_change_is_not_told(org, client_for, changes):
    response = client_for(org.viewer).post("/api/v1/tasks", {"organization": str(org.id), "title": "No"}, format="json")
    assert response.status_code == 403
    assert changes == []


def test_an_import_and_a_report_export_are_told_when_they_end(
    org, client_for, changes, django_capture_on_commit_callbacks
):
    client = client_for(org.admin)
    upload = SimpleUploadedFile("tasks.csv", b"title\nImported\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/organizations/{org.id}/imports", {"file": upload, "kind": "tasks"}, format="multipart"
        )
    assert response.status_code == 202
    finished = only(changes, Action.IMPORT_FINISHED)
    assert finished.after["state"] == "succeeded"
    assert finished.after["created"] == 1

    body = {"format": "csv", "from": "2030-01-01", "to": "2030-01-31"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/reports/{org.id}/exports", body, format="json").status_code == 202
    ready = only(changes, Action.REPORT_EXPORT_READY)
    assert (ready.target_type, ready.after["format"]) == ("reportexport", "csv")
