"""Deleting an organization (docs/api/trash.md): its owner's password and its name typed back; gone for every
member at once with everything in it; restorable by its owners for ORGANIZATION_RESTORE_DAYS, then purged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.retention import retention_run
from organizations.changes import Action, organization_changed
from organizations.models import Invitation, Membership, Organization
from tasks_app.models import Comment, Task
from tasks_app.services import comment_create, task_create
from tests.factories import DEFAULT_PASSWORD, InvitationFactory, OrganizationFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def changes():
    heard = []

    def receiver(sender, *, change, **kwargs):
        heard.append(change.action)

    organization_changed.connect(receiver, dispatch_uid="test-org-deletion")
    yield heard
    organization_changed.disconnect(dispatch_uid="test-org-deletion")


def delete(client, org, **body):
    return client.delete(f"{API}/organizations/{org.id}", body, format="json")


def proof(org):
    return {"password": DEFAULT_PASSWORD, "name": org.organization.name}


class TestDelete:
    def test_needs_the_password_and_the_name_typed_back(self, org, client_for):
        owner = client_for(org.owner)
        wrong_password = assert_error(delete(owner, org, password="wrong", name=org.organization.name), 400, "invalid")
        assert [e["field"] for e in wrong_password["errors"]] == ["password"]
        wrong_name = assert_error(delete(owner, org, password=DEFAULT_PASSWORD, name="acme"), 400, "name_mismatch")
        assert [e["field"] for e in wrong_name["errors"]] == ["name"]
        assert_error(delete(owner, org, password=DEFAULT_PASSWORD), 400, "required")
        assert Organization.objects.filter(pk=org.id).exists()

    def test_without_a_password_a_recent_reauthentication_is_needed(self, org, client_for, settings):
        settings.REAUTHENTICATION_WINDOW_SECONDS = 0
        response = delete(client_for(org.owner), org, name=org.organization.name)
        assert_error(response, 403, "reauthentication_required")

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_only_owners_delete(self, org, client_for, role):
        user = org.users[role]
        response = delete(client_for(user), org, password=DEFAULT_PASSWORD, name=org.organization.name)
        assert response.status_code == 403

    def test_it_vanishes_for_every_member_at_once(self, org, client_for, changes):
        task = task_create(organization=org.organization, created_by=org.member, title="Inside", assignee=org.member)
        comment_create(task=task, author=org.admin, body="Note")
        member = client_for(org.member)
        assert delete(client_for(org.owner), org, **proof(org)).status_code == 204
        assert Action.ORGANIZATION_DELETED in changes
        assert member.get(f"{API}/organizations").json()["data"] == []
        for path in (
            f"organizations/{org.id}",
            f"organizations/{org.id}/members",
            f"organizations/{org.id}/trash",
            f"reports/{org.id}",
            f"tasks/{task.pk}",
        ):
            assert member.get(f"{API}/{path}").status_code == 404, path
        assert member.get(f"{API}/tasks").json()["data"] == []
        assert member.get(f"{API}/tasks/assigned").json()["data"] == []
        assert member.get(f"{API}/notifications").json()["data"] == []
        response = member.post(f"{API}/tasks", {"organization": str(org.id), "title": "x"}, format="json")
        assert response.status_code == 404
        # The owner, too, reaches it only through the deleted organizations.
        owner = client_for(org.owner)
        assert owner.get(f"{API}/organizations/{org.id}").status_code == 404
        deleted = owner.get(f"{API}/organizations/deleted").json()["data"]
        assert [(d["id"], d["deleted_by"]["id"]) for d in deleted] == [(str(org.id), str(org.owner.pk))]
        assert client_for(org.admin).get(f"{API}/organizations/deleted").json()["data"] == []


class TestRestore:
    def restore(self, client, org):
        return client.post(f"{API}/organizations/{org.id}/restore")

    def test_an_owner_restores_it_with_everything_in_it(self, org, client_for, changes):
        task = task_create(organization=org.organization, created_by=org.member, title="Inside")
        comment_create(task=task, author=org.admin, body="Note")
        InvitationFactory(organization=org.organization)
        delete(client_for(org.owner), org, **proof(org))
        stranger = make_org_with_roles(name="Elsewhere").owner
        assert self.restore(client_for(stranger), org).status_code == 404
        assert self.restore(client_for(org.admin), org).status_code == 403
        response = self.restore(client_for(org.owner), org)
        assert response.status_code == 200, response.content
        assert response.json()["id"] == str(org.id)
        assert response.json()["member_count"] == 4
        assert Action.ORGANIZATION_RESTORED in changes
        member = client_for(org.member)
        assert [t["id"] for t in member.get(f"{API}/tasks").json()["data"]] == [str(task.pk)]
        assert len(member.get(f"{API}/tasks/{task.pk}/comments").json()["data"]) == 1
        assert Invitation.objects.filter(organization_id=org.id).exists()
        # Not deleted any more: restoring again is 404.
        assert self.restore(client_for(org.owner), org).status_code == 404

    def test_tokens_may_not_restore(self, org, client_for, client_with_token):
        delete(client_for(org.owner), org, **proof(org))
        token = client_with_token(org.owner, scopes=["org:admin"], organizations=[org.organization])
        assert_error(self.restore(token, org), 403, "insufficient_scope")

    def test_past_the_window_it_is_gone(self, org, client_for, settings):
        delete(client_for(org.owner), org, **proof(org))
        Organization.all_objects.filter(pk=org.id).update(
            deleted_at=timezone.now() - timedelta(days=settings.ORGANIZATION_RESTORE_DAYS, seconds=1)
        )
        assert_error(self.restore(client_for(org.owner), org), 410, "restore_window_over")

    def test_its_slug_can_be_taken_meanwhile_and_restoring_then_conflicts(self, org, client_for):
        slug = org.organization.slug
        delete(client_for(org.owner), org, **proof(org))
        other = make_org_with_roles(name="Newcomer")
        response = client_for(other.owner).post(f"{API}/organizations", {"name": "Again", "slug": slug})
        assert response.status_code == 201
        assert_error(self.restore(client_for(org.owner), org), 409, "slug_taken")
        # The new one takes another slug: then the old one comes back.
        Organization.objects.filter(slug=slug).update(slug=f"{slug}-new")
        assert self.restore(client_for(org.owner), org).status_code == 200


class TestPurge:
    def test_after_the_window_it_is_deleted_for_good_with_everything_in_it(self, org, client_for, settings, changes):
        task = task_create(organization=org.organization, created_by=org.member, title="Inside")
        comment_create(task=task, author=org.admin, body="Note")
        kept = OrganizationFactory()
        delete(client_for(org.owner), org, **proof(org))
        (result,) = retention_run(names=["deleted_organizations"])
        assert result.removed == 0
        later = timezone.now() + timedelta(days=settings.ORGANIZATION_RESTORE_DAYS, seconds=1)
        (result,) = retention_run(names=["deleted_organizations"], now=later, batch_size=1)
        assert (result.removed, result.error) == (1, "")
        assert Action.ORGANIZATION_PURGED in changes
        assert not Organization.all_objects.filter(pk=org.id).exists()
        assert not Membership.all_objects.filter(organization_id=org.id).exists()
        assert not Task.all_objects.filter(pk=task.pk).exists()
        assert not Comment.all_objects.filter(task_id=task.pk).exists()
        assert Organization.objects.filter(pk=kept.pk).exists()
        assert org.member.__class__.objects.filter(pk=org.member.pk).exists()  # the people stay
        assert self_restore(client_for(org.owner), org).status_code == 404


def self_restore(client, org):
    return client.post(f"{API}/organizations/{org.id}/restore")
