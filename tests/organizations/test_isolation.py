"""No list, detail or write under /organizations/{organization_id}/... reaches another organization's data.

A user of organization A, whatever their role in A, tries every id of organization B (the
organization, each of its members, each of its invitations) on every route: under B's URL, and
smuggled under A's URL. Every attempt answers 404, exactly as for an id that does not exist,
and B's data is unchanged afterwards, with no email sent on its behalf.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from organizations.models import Invitation, Membership, Organization
from tests.factories import MEMBER_ROLES, InvitationFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizations"
INVITATION_STATES = ["pending", "expired", "revoked", "accepted"]


@pytest.fixture
def org_a(db):
    return make_org_with_roles(name="Org A")


@pytest.fixture
def org_b(db):
    org = make_org_with_roles(name="Org B")
    now = timezone.now()
    org.invitations = {
        "pending": InvitationFactory(organization=org.organization, invited_by=org.owner),
        "expired": InvitationFactory(organization=org.organization, expires_at=now - timedelta(days=1)),
        "revoked": InvitationFactory(organization=org.organization, revoked_at=now),
        "accepted": InvitationFactory(organization=org.organization, accepted_at=now, accepted_by=org.member),
    }
    return org


def organization_requests(a, b):
    yield "get", f"{BASE}/{b.id}", None
    yield "patch", f"{BASE}/{b.id}", {"name": "Hijacked"}
    yield "delete", f"{BASE}/{b.id}", None
    yield "get", f"{BASE}/{b.id}/members", None
    yield "post", f"{BASE}/{b.id}/members", {"email": a.member.email, "role": "owner"}
    yield "get", f"{BASE}/{b.id}/invitations", None
    yield "post", f"{BASE}/{b.id}/invitations", {"email": "spy@example.com", "role": "admin"}


def member_requests(org_id, user_id):
    yield "get", f"{BASE}/{org_id}/members/{user_id}", None
    yield "patch", f"{BASE}/{org_id}/members/{user_id}", {"role": "viewer"}
    yield "delete", f"{BASE}/{org_id}/members/{user_id}", None


def invitation_requests(org_id, invitation_id):
    yield "get", f"{BASE}/{org_id}/invitations/{invitation_id}", None
    yield "post", f"{BASE}/{org_id}/invitations/{invitation_id}/resend", None
    yield "delete", f"{BASE}/{org_id}/invitations/{invitation_id}", None


# Requests are described symbolically so that ids are created per test: (kind, b-role-or-state, under).
REQUESTS = [("organization", index, "b") for index in range(7)]
REQUESTS += [("member", role, under) for role in MEMBER_ROLES for under in ("b", "a")]
REQUESTS += [("invitation", state, under) for state in INVITATION_STATES for under in ("b", "a")]


def build(kind, key, under, a, b):
    if kind == "organization":
        return list(organization_requests(a, b))[key : key + 1]
    org_id = b.id if under == "b" else a.id
    if kind == "member":
        return list(member_requests(org_id, b.users[key].pk))
    return list(invitation_requests(org_id, b.invitations[key].pk))


def snapshot(org):
    return (
        Organization.objects.filter(pk=org.id).values_list("name", "slug", "updated_at").first(),
        sorted(Membership.objects.filter(organization_id=org.id).values_list("user_id", "role", "updated_at")),
        sorted(
            Invitation.objects.filter(organization_id=org.id).values_list(
                "id", "token_hash", "expires_at", "revoked_at", "accepted_at"
            )
        ),
    )


CASES = [
    pytest.param(role, kind, key, under, id=f"{role}-of-A-{kind}-{key}-under-{under.upper()}")
    for role in MEMBER_ROLES
    for kind, key, under in REQUESTS
]


@pytest.mark.parametrize(("role", "kind", "key", "under"), CASES)
def test_organization_b_is_invisible_to_a_user_of_a(
    org_a, org_b, client_for, django_capture_on_commit_callbacks, role, kind, key, under
):
    client = client_for(org_a.users[role])
    before = snapshot(org_b)
    with django_capture_on_commit_callbacks(execute=True):
        for method, path, body in build(kind, key, under, org_a, org_b):
            assert_error(getattr(client, method)(path, body), 404, "not_found")
    assert snapshot(org_b) == before
    assert mail.outbox == []


def test_isolation_size():
    stub = SimpleNamespace(id="b", member=SimpleNamespace(email="x@example.com"))
    assert len(list(organization_requests(stub, stub))) == 7
    requests = sum(1 if kind == "organization" else 3 for kind, _, _ in REQUESTS)
    # 7 organization-level requests, 4 members x 3 methods x 2 URLs, 4 invitations x 3 methods x 2 URLs.
    assert requests == 7 + 24 + 24 == 55
    assert len(CASES) == 4 * len(REQUESTS) == 4 * 23 == 92


def test_superuser_is_the_exception_and_opens_b(org_a, org_b, client_for, superuser):
    """The only caller outside B who may: a superuser (who acts as an owner anywhere)."""
    response = client_for(superuser).get(f"{BASE}/{org_b.id}/members")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 4


def test_lists_show_only_the_callers_organizations(org_a, org_b, client_for):
    body = client_for(org_a.owner).get(BASE).json()
    assert [o["id"] for o in body["data"]] == [str(org_a.id)]
    assert body["pagination"]["total"] == 1
