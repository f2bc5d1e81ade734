"""What every request reads about its person comes from the cache (config.person_cache, organizations.access_cache):
every change to it is seen by the very next request, and no request reads a stale entry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import user_deactivate, user_email_mark_verified
from config import person_cache
from organizations.models import Membership, Organization, Role
from organizations.services import (
    membership_change_role,
    membership_remove,
    organization_delete,
    organization_restore,
    organization_update,
)
from tasks_app.services import task_create
from tests.factories import UserFactory

TASKS = "/api/v1/tasks"
ME = "/api/v1/users/me"


def titles(client) -> list[str]:
    response = client.get(TASKS)
    assert response.status_code == 200, response.content
    return [task["title"] for task in response.json()["data"]]


@pytest.fixture
def listed(org, client_as):
    """The member's client, its list read once (so the cache holds their user and organizations)."""
    task_create(organization=org.organization, created_by=org.owner, title="Plan")
    client = client_as("member")
    assert titles(client) == ["Plan"]
    return client


def test_a_second_request_reads_no_user_and_no_membership(listed, computed_pages):
    with CaptureQueriesContext(connection) as queries:
        assert titles(listed) == ["Plan"]
    (page,) = queries.captured_queries  # the page alone: neither the user nor the memberships
    assert page["sql"].startswith('SELECT "tasks_app_task"')
    assert "organizations_membership" not in page["sql"]


def test_a_removed_member_sees_nothing_on_the_next_request(org, listed):
    membership_remove(membership=Membership.objects.get(user=org.member), actor=org.owner)
    assert titles(listed) == []


def test_an_added_member_sees_the_organization_at_once(org, other_org, listed):
    task_create(organization=other_org.organization, created_by=other_org.owner, title="Elsewhere")
    Membership.objects.create(organization=other_org.organization, user=org.member, role=Role.VIEWER)
    assert sorted(titles(listed)) == ["Elsewhere", "Plan"]


def test_a_role_change_applies_to_the_next_request(org, client_as):
    client = client_as("viewer")
    body = {"organization": str(org.id), "title": "Mine"}
    assert client.post(TASKS, body).status_code == 403
    membership_change_role(membership=Membership.objects.get(user=org.viewer), role=Role.MEMBER, actor=org.owner)
    assert client.post(TASKS, body).status_code == 201


def test_requiring_a_second_factor_hides_the_organization_from_members_without_one(org, listed, enrol):
    enrol(org.owner)
    organization_update(organization=org.organization, require_mfa=True, actor=org.owner)
    assert titles(listed) == []
    enrol(org.member)  # confirming a second factor brings it back
    assert titles(listed) == ["Plan"]


def test_a_deleted_organization_leaves_its_members_lists_and_comes_back_restored(org, listed):
    organization_delete(organization=org.organization, actor=org.owner, name=org.organization.name)
    assert titles(listed) == []
    organization_restore(organization_id=org.id, actor=org.owner)
    assert titles(listed) == ["Plan"]


def test_a_deactivated_person_is_refused_on_the_next_request(org, listed):
    user_deactivate(user=org.member, actor=org.owner)
    assert listed.get(TASKS).status_code == 401


def test_a_change_made_by_one_update_is_seen_too(client_for):
    user = UserFactory(email_verified_at=None)
    client = client_for(user)
    assert client.get(ME).json()["email_verified"] is False
    user_email_mark_verified(user=user, method="staff")  # one UPDATE, no post_save
    assert client.get(ME).json()["email_verified"] is True


def test_an_entry_loaded_while_a_change_lands_is_not_served_again(user):
    loads = []

    def load():
        loads.append(1)
        if len(loads) == 1:
            person_cache.changed([user.pk])  # another request's change commits while this one reads the rows
        return len(loads)

    assert person_cache.cached("probe", user.pk, load) == 1
    assert person_cache.cached("probe", user.pk, load) == 2  # the first entry was tagged with the old generation
    assert person_cache.cached("probe", user.pk, load) == 2  # and the second is served
    assert len(loads) == 2


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_without_the_cache_every_request_reads_the_database(org, listed, monkeypatch):
    monkeypatch.setattr(person_cache, "cache", BrokenCache())
    with CaptureQueriesContext(connection) as queries:
        assert titles(listed) == ["Plan"]
    assert len(queries) == 3  # the user, the memberships, the page
    membership_remove(membership=Membership.objects.get(user=org.member), actor=org.owner)
    assert titles(listed) == []


def test_one_update_of_a_membership_is_seen_by_the_next_request(org, other_org, listed):
    task_create(organization=other_org.organization, created_by=other_org.owner, title="Elsewhere")
    # No signal: the queryset tells the cache.
    Membership.objects.filter(user=org.member).update(organization=other_org.organization)
    assert titles(listed) == ["Elsewhere"]


def test_one_update_of_an_organization_is_seen_by_its_members_next_request(org, listed):
    Organization.objects.filter(pk=org.id).update(require_mfa=True)
    assert titles(listed) == []


def test_one_update_of_a_user_is_seen_by_their_next_request(org, listed):
    User.objects.filter(pk=org.member.pk).update(is_active=False)
    assert listed.get(TASKS).status_code == 401


def test_memberships_created_in_bulk_are_seen_at_once(org, other_org, listed):
    task_create(organization=other_org.organization, created_by=other_org.owner, title="Elsewhere")
    Membership.objects.bulk_create([Membership(organization=other_org.organization, user=org.member)])
    assert sorted(titles(listed)) == ["Elsewhere", "Plan"]
