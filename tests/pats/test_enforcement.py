"""What a delegated credential may reach: its scopes (RFC 6750 answers), its organizations (404 and
shorter lists, as for a non-member) and its person's current role. Every endpoint's scope is in the
authorization matrix (tests/security/test_authorization_matrix.py); these are the cases around it."""

import pytest

from organizations.models import Membership, Role
from tasks_app.services import task_create
from tests.factories import MembershipFactory, NotificationFactory, UserFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def alpha():
    return make_org_with_roles(name="Alpha")


@pytest.fixture
def beta(alpha):
    beta = make_org_with_roles(name="Beta")
    MembershipFactory(organization=beta.organization, user=alpha.member, role=Role.MEMBER)
    return beta


def test_a_missing_scope_names_itself_in_the_challenge(client_with_token, alpha):
    client = client_with_token(alpha.member, scopes=["tasks:read"], organizations=[alpha.organization])
    response = client.post(f"{API}/tasks", {"organization": str(alpha.id), "title": "New"})
    assert_error(response, 403, "insufficient_scope")
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope", scope="tasks:write"'
    assert "tasks:write" in response.json()["errors"][0]["message"]


def test_an_endpoint_no_scope_opens_says_so(client_with_token, alpha):
    every = ["profile", "tasks:read", "tasks:write", "comments:write", "members:read", "reports:read", "org:admin"]
    client = client_with_token(alpha.owner, scopes=every, organizations=[alpha.organization])
    response = client.post(f"{API}/auth/password/change", {"old_password": "x", "new_password": "plum-tractor-88"})
    assert_error(response, 403, "insufficient_scope")
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="insufficient_scope"')
    assert "scope=" not in response["WWW-Authenticate"]


def test_demoting_the_person_reduces_the_token_at_once(client_with_token, alpha):
    client = client_with_token(alpha.admin, scopes=["org:admin"], organizations=[alpha.organization])
    invite = {"email": "new@example.com", "role": "member"}
    assert client.post(f"{API}/organizations/{alpha.id}/invitations", invite).status_code == 201
    Membership.objects.filter(user=alpha.admin, organization=alpha.organization).update(role=Role.MEMBER)
    response = client.post(f"{API}/organizations/{alpha.id}/invitations", {**invite, "email": "other@example.com"})
    assert_error(response, 403, "permission_denied")


def test_leaving_the_organization_ends_the_tokens_reach_there(client_with_token, alpha):
    client = client_with_token(alpha.member, scopes=["tasks:read"], organizations=[alpha.organization])
    assert client.get(f"{API}/organizations/{alpha.id}").status_code == 200
    Membership.objects.filter(user=alpha.member, organization=alpha.organization).delete()
    assert_error(client.get(f"{API}/organizations/{alpha.id}"), 404, "not_found")


def test_lists_across_organizations_show_only_the_granted_ones(client_with_token, alpha, beta):
    mine = task_create(organization=alpha.organization, created_by=alpha.member, title="A", assignee=alpha.member)
    theirs = task_create(organization=beta.organization, created_by=alpha.member, title="B", assignee=alpha.member)
    client = client_with_token(alpha.member, scopes=["tasks:read", "tasks:write"], organizations=[alpha.organization])
    for path in ("tasks", "tasks/assigned"):
        ids = {task["id"] for task in client.get(f"{API}/{path}").json()["data"]}
        assert ids == {str(mine.pk)}, path
    assert [o["id"] for o in client.get(f"{API}/organizations").json()["data"]] == [str(alpha.id)]
    assert_error(client.get(f"{API}/tasks/{theirs.pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/organizations/{beta.id}"), 404, "not_found")
    assert_error(client.post(f"{API}/tasks", {"organization": str(beta.id), "title": "x"}), 404, "not_found")


def test_notifications_only_of_the_granted_organizations(client_with_token, alpha, beta):
    kept = NotificationFactory(recipient=alpha.member, organization=alpha.organization)
    other = NotificationFactory(recipient=alpha.member, organization=beta.organization)
    NotificationFactory(recipient=alpha.member)  # about no organization
    client = client_with_token(alpha.member, scopes=["tasks:read", "tasks:write"], organizations=[alpha.organization])
    assert [n["id"] for n in client.get(f"{API}/notifications").json()["data"]] == [str(kept.pk)]
    assert_error(client.post(f"{API}/notifications/{other.pk}/read"), 404, "not_found")
    assert client.post(f"{API}/notifications/read-all").json()["count"] == 1
    other.refresh_from_db()
    assert other.read_at is None


def test_profiles_only_through_the_granted_organizations(client_with_token, alpha, beta):
    client = client_with_token(alpha.member, scopes=["members:read"], organizations=[alpha.organization])
    assert client.get(f"{API}/users/{alpha.owner.pk}").status_code == 200
    assert_error(client.get(f"{API}/users/{beta.owner.pk}"), 404, "not_found")


def test_a_superusers_token_has_no_superuser_reach(client_with_token, alpha):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    own = make_org_with_roles(name="Own")
    MembershipFactory(organization=own.organization, user=superuser, role=Role.OWNER)
    task = task_create(organization=alpha.organization, created_by=alpha.member, title="A")
    client = client_with_token(superuser, scopes=["tasks:read", "members:read"], organizations=[own.organization])
    assert_error(client.get(f"{API}/tasks/{task.pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/organizations/{alpha.id}/members"), 404, "not_found")
    assert_error(client.get(f"{API}/users/{alpha.member.pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/admin/sessions"), 403, "insufficient_scope")


def test_every_declared_scope_is_in_the_catalogue():
    from django.urls import get_resolver

    from config.credentials import SCOPES
    from config.permissions import ANY_SCOPE

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            elif getattr(pattern.callback, "cls", None) is not None:
                yield pattern.callback.cls

    declared = {
        scope for view in views(get_resolver().url_patterns) for scope in getattr(view, "required_scopes", {}).values()
    }
    assert declared - {*SCOPES, ANY_SCOPE} == set()
    assert declared >= set(SCOPES)  # and every scope opens something
