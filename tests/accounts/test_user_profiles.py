"""GET /users/{id}: only for people who share an organization with the caller."""

import uuid

import pytest

from organizations.models import Role
from organizations.services import membership_add, organization_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleagues():
    owner, colleague, stranger = UserFactory(), UserFactory(), UserFactory()
    org = organization_create(name="Acme", created_by=owner)
    membership_add(organization=org, email=colleague.email, role=Role.VIEWER, actor=owner)
    organization_create(name="Elsewhere", created_by=stranger)
    return owner, colleague, stranger


def test_colleagues_see_each_other(client_for, colleagues):
    owner, colleague, _ = colleagues
    response = client_for(colleague).get(f"/api/v1/users/{owner.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(owner.pk),
        "email": owner.email,
        "username": owner.username,
        "full_name": owner.full_name,
    }


def test_strangers_are_not_found(client_for, colleagues):
    owner, _, stranger = colleagues
    response = client_for(stranger).get(f"/api/v1/users/{owner.pk}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_self_superuser_and_unknown(client_for, colleagues):
    owner, _, stranger = colleagues
    assert client_for(stranger).get(f"/api/v1/users/{stranger.pk}").status_code == 200
    superuser = client_for(UserFactory(is_superuser=True))
    assert superuser.get(f"/api/v1/users/{owner.pk}").status_code == 200
    assert superuser.get(f"/api/v1/users/{uuid.uuid4()}").status_code == 404
    assert superuser.get("/api/v1/users/not-a-uuid").status_code == 404


def test_anonymous_is_refused(api_client, colleagues):
    assert api_client.get(f"/api/v1/users/{colleagues[0].pk}").status_code == 401
