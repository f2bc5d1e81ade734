"""Fields the caller must never be able to write stay unchanged, whatever the request body says."""

import pytest

from accounts.models import User
from organizations.models import Membership
from tasks_app.services import task_create
from tests.factories import make_org_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org_with_roles(name="Alpha")


def test_own_role_cannot_be_raised(client_for, org):
    for caller in ("admin", "member", "viewer"):
        user = org.users[caller]
        before = Membership.objects.get(organization=org.organization, user=user).role
        response = client_for(user).patch(f"/api/v1/organizations/{org.id}/members/{user.pk}", {"role": "owner"})
        assert response.status_code in (403, 409)
        assert Membership.objects.get(organization=org.organization, user=user).role == before


def test_privilege_flags_of_oneself(client_for, org):
    client_for(org.member).patch(
        "/api/v1/users/me", {"is_staff": True, "is_superuser": True, "is_active": False, "id": "0" * 32}
    )
    user = User.objects.get(pk=org.member.pk)
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_task_organization_creator_and_timestamps(client_for, org):
    other = make_org_with_roles(name="Beta")
    task = task_create(organization=org.organization, created_by=org.member, title="Mine")
    before = (task.organization_id, task.created_by_id, task.created_at, task.completed_at)
    response = client_for(org.admin).patch(
        f"/api/v1/tasks/{task.pk}",
        {
            "organization": str(other.id),
            "created_by": str(org.admin.pk),
            "created_at": "2000-01-01T00:00:00Z",
            "completed_at": "2000-01-01T00:00:00Z",
            "id": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.organization_id, task.created_by_id, task.created_at, task.completed_at) == before


def test_import_counters_and_state_come_only_from_the_worker(client_for, org, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from imports.models import ImportJob

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.admin).post(
            f"/api/v1/organizations/{org.id}/imports",
            {
                "file": ContentFile(b"title\nOne\nTwo\n", name="t.csv"),
                "kind": "tasks",
                "created": 999,
                "failed": 999,
                "processed": 999,
                "total": 999,
                "state": "succeeded",
                "organization": "00000000-0000-0000-0000-000000000000",
            },
            format="multipart",
        )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.total, job.processed, job.created, job.failed) == (2, 2, 2, 0)
    assert job.organization_id == org.id
