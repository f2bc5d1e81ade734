"""Sign-in and refresh are public, yet answer 401: the schema says so (found by fuzzing)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/refresh"])
def test_public_sign_in_endpoints_document_401(api_client, path):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    response = schema["paths"][path]["post"]["responses"]["401"]
    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_a_failed_sign_in_answers_401(api_client, user):
    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 401
