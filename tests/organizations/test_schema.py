"""A role change needs its role, and the schema says so (found by fuzzing: it documented an optional one)."""

import pytest

pytestmark = pytest.mark.django_db


def test_role_change_documents_role_as_required(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    body = schema["paths"]["/api/v1/organizations/{organization_id}/members/{user_id}"]["patch"]["requestBody"]
    assert body["required"] is True
    component = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][component]["required"] == ["role"]


def test_role_change_without_role_is_refused(client_for, org):
    response = client_for(org.owner).patch(f"/api/v1/organizations/{org.id}/members/{org.member.pk}", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "role"
