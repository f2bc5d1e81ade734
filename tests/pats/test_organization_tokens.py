"""Organization admins list and revoke the tokens that reach their organization."""

import pytest

from audit.models import AuditEvent
from pats.models import PersonalAccessToken
from tests.factories import PersonalAccessTokenFactory, make_org_with_roles
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha():
    return make_org_with_roles(name="Alpha")


def test_admins_see_the_tokens_that_reach_their_organization(client_for, alpha):
    beta = make_org_with_roles(name="Beta")
    reaching = PersonalAccessTokenFactory(user=alpha.member, organizations=[alpha.organization])
    PersonalAccessTokenFactory(user=beta.member, organizations=[beta.organization])
    PersonalAccessTokenFactory(user=alpha.viewer, organizations=[alpha.organization], revoked_at="2030-01-01T00:00Z")
    response = client_for(alpha.admin).get(f"/api/v1/organizations/{alpha.id}/tokens")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert [row["id"] for row in rows] == [str(reaching.pk)]
    assert rows[0]["user"]["id"] == str(alpha.member.pk)
    assert "organizations" not in rows[0]
    assert "token" not in rows[0]


def test_members_may_not(client_for, alpha):
    assert_error(client_for(alpha.member).get(f"/api/v1/organizations/{alpha.id}/tokens"), 403, "permission_denied")


def test_an_admins_revocation_ends_the_whole_token_and_is_audited(client_for, api_client, alpha):
    beta = make_org_with_roles(name="Beta")
    token = PersonalAccessTokenFactory(user=alpha.member, organizations=[alpha.organization, beta.organization])
    response = client_for(alpha.admin).delete(f"/api/v1/organizations/{alpha.id}/tokens/{token.pk}")
    assert response.status_code == 204
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    assert_error(api_client.get("/api/v1/tasks"), 401, "invalid_token")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REVOKED)
    assert (event.user, event.actor) == (alpha.member, alpha.admin)
    assert event.data["organization_id"] == str(alpha.id)
    assert event.data["reason"] == "organization_admin"


def test_a_token_that_does_not_reach_the_organization_is_not_found(client_for, alpha):
    beta = make_org_with_roles(name="Beta")
    other = PersonalAccessTokenFactory(user=beta.member, organizations=[beta.organization])
    response = client_for(alpha.admin).delete(f"/api/v1/organizations/{alpha.id}/tokens/{other.pk}")
    assert_error(response, 404, "not_found")
    assert PersonalAccessToken.objects.get(pk=other.pk).revoked_at is None
