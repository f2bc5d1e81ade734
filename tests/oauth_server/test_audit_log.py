"""OAuth grants reaching an organization, and what an OAuth application does there, in its audit log."""

import pytest

from config.request_context import ActorKind
from oauth_server.models import OAuthGrant
from orgaudit.models import OrganizationAuditRecord
from tests.oauth_server.conftest import BASE

pytestmark = pytest.mark.django_db


def only(org, action):
    found = list(OrganizationAuditRecord.objects.filter(organization_id=org.id, action=action))
    assert len(found) == 1, list(OrganizationAuditRecord.objects.values_list("action", flat=True))
    return found[0]


def test_a_grant_and_what_the_application_does_with_it(authorized, org, public_client, client_for):
    session = authorized(scope="profile tasks:write")
    granted = only(org, "oauth_grant.created")
    assert (granted.actor, granted.actor_kind, granted.target_type) == (org.member, ActorKind.PERSON, "oauthgrant")
    assert (granted.target_label, granted.after["client_id"]) == (public_client.name, public_client.client_id)
    assert "tasks:write" in granted.after["scopes"]

    response = session.post(f"{BASE}/api/v1/tasks", json={"organization": str(org.id), "title": "From the app"})
    assert response.status_code == 201, response.text
    created = only(org, "task.created")
    assert (created.actor, created.actor_kind) == (org.member, ActorKind.OAUTH_APP)
    assert (created.credential_id, created.credential_label) == (public_client.client_id, public_client.name)

    grant = OAuthGrant.objects.get(user=org.member)
    response = client_for(org.admin).delete(f"/api/v1/organizations/{org.id}/authorizations/{grant.pk}")
    assert response.status_code == 204
    revoked = only(org, "oauth_grant.revoked")
    assert (revoked.actor, revoked.after["reason"]) == (org.admin, "organization_admin")


def test_the_person_revoking_their_grant_is_recorded_in_each_organization(authorized, org, client_for):
    authorized()
    grant = OAuthGrant.objects.get(user=org.member)
    assert client_for(org.member).delete(f"/api/v1/users/me/authorizations/{grant.pk}").status_code == 204
    revoked = only(org, "oauth_grant.revoked")
    assert (revoked.actor, revoked.after["reason"]) == (org.member, "owner")
