"""Every organization endpoint x every caller x the answer it must give.

Rows are endpoints; columns are callers: the four roles of the organization, a signed-in user of
another organization (``outsider``), and nobody (``anonymous``). 404 for outsiders: the API does
not confirm that an organization they are not in exists.
"""

import pytest

from organizations.models import Role
from tests.factories import UserFactory
from tests.organizations.assertions import assert_error
from tests.organizations.conftest import CALLERS
from tests.organizations.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizations"


# Each request builder gets (org, caller_user) and returns (method, path, body).
def list_organizations(org, user):
    return "get", BASE, None


def create_organization(org, user):
    return "post", BASE, {"name": "New venture"}


def retrieve_organization(org, user):
    return "get", f"{BASE}/{org.id}", None


def update_organization(org, user):
    return "patch", f"{BASE}/{org.id}", {"name": "Renamed"}


def delete_organization(org, user):
    return "delete", f"{BASE}/{org.id}", None


def list_members(org, user):
    return "get", f"{BASE}/{org.id}/members", None


def add_member(org, user):
    return "post", f"{BASE}/{org.id}/members", {"email": UserFactory().email, "role": "member"}


def _target(org):
    """A plain member, distinct from every caller."""
    return MembershipFactory(organization=org.organization, role=Role.MEMBER).user


def retrieve_member(org, user):
    return "get", f"{BASE}/{org.id}/members/{_target(org).pk}", None


def change_member_role(org, user):
    return "patch", f"{BASE}/{org.id}/members/{_target(org).pk}", {"role": "viewer"}


def remove_member(org, user):
    return "delete", f"{BASE}/{org.id}/members/{_target(org).pk}", None


def list_invitations(org, user):
    return "get", f"{BASE}/{org.id}/invitations", None


def create_invitation(org, user):
    return "post", f"{BASE}/{org.id}/invitations", {"email": "newcomer@example.com", "role": "member"}


def _invitation(org, **kwargs):
    return InvitationFactory(organization=org.organization, invited_by=org.owner, **kwargs)


def retrieve_invitation(org, user):
    return "get", f"{BASE}/{org.id}/invitations/{_invitation(org).pk}", None


def resend_invitation(org, user):
    return "post", f"{BASE}/{org.id}/invitations/{_invitation(org).pk}/resend", None


def revoke_invitation(org, user):
    return "delete", f"{BASE}/{org.id}/invitations/{_invitation(org).pk}", None


def look_up_invitation(org, user):
    return "get", f"/api/v1/invitations/{_invitation(org).token}", None


def accept_invitation_to_caller(org, user):
    email = user.email if user else "someone@example.com"
    return "post", f"/api/v1/invitations/{_invitation(org, email=email).token}/accept", None


def accept_invitation_to_someone_else(org, user):
    return "post", f"/api/v1/invitations/{_invitation(org, email='someone-else@example.com').token}/accept", None


def retrieve_user(org, user):
    return "get", f"/api/v1/users/{_target(org).pk}", None


#  endpoint                          owner admin member viewer outsider anonymous
MATRIX = {
    list_organizations:               (200, 200, 200, 200, 200, 401),
    create_organization:              (201, 201, 201, 201, 201, 401),
    retrieve_organization:            (200, 200, 200, 200, 404, 401),
    update_organization:              (200, 200, 403, 403, 404, 401),
    delete_organization:              (204, 403, 403, 403, 404, 401),
    list_members:                     (200, 200, 200, 200, 404, 401),
    add_member:                       (201, 201, 403, 403, 404, 401),
    retrieve_member:                  (200, 200, 200, 200, 404, 401),
    change_member_role:               (200, 200, 403, 403, 404, 401),
    remove_member:                    (204, 204, 403, 403, 404, 401),
    list_invitations:                 (200, 200, 403, 403, 404, 401),
    create_invitation:                (201, 201, 403, 403, 404, 401),
    retrieve_invitation:              (200, 200, 403, 403, 404, 401),
    resend_invitation:                (200, 200, 403, 403, 404, 401),
    revoke_invitation:                (204, 204, 403, 403, 404, 401),
    look_up_invitation:               (200, 200, 200, 200, 200, 200),
    accept_invitation_to_caller:      (409, 409, 409, 409, 200, 401),
    accept_invitation_to_someone_else: (403, 403, 403, 403, 403, 401),
    retrieve_user:                    (200, 200, 200, 200, 404, 401),
}  # fmt: skip

ERROR_CODES = {
    401: "not_authenticated",
    403: ("permission_denied", "invitation_email_mismatch"),
    404: "not_found",
    409: "conflict",
}

CASES = [
    pytest.param(endpoint, caller, expected, id=f"{endpoint.__name__}-{caller}")
    for endpoint, statuses in MATRIX.items()
    for caller, expected in zip(CALLERS, statuses, strict=True)
]


@pytest.mark.parametrize(("endpoint", "caller", "expected"), CASES)
def test_role_matrix(org, client_as, django_capture_on_commit_callbacks, endpoint, caller, expected):
    client = client_as(caller)
    method, path, body = endpoint(org, client.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(path, body)
    if expected < 400:
        assert response.status_code == expected, response.content
        return
    body = assert_error(response, expected)
    codes = ERROR_CODES[expected]
    codes = (codes,) if isinstance(codes, str) else codes
    assert {e["code"] for e in body["errors"]} & set(codes), body


def test_matrix_covers_every_organization_route():
    """A new route or method in organizations.urls must get a row here."""
    from organizations import urls

    pairs = {(p.name, method) for p in urls.urlpatterns for method in p.callback.actions if method != "head"}
    # The accept route has two rows: an invitation sent to the caller, and one sent to someone else.
    assert len(pairs) == len(MATRIX) - 1 == 18


def test_matrix_size():
    assert len(CASES) == 19 * 6 == 114
