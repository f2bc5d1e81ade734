"""The OpenAPI schema of the account endpoints matches what they answer and accept (found by fuzzing)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def components(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()["components"]["schemas"]


def test_a_profile_without_webhook_is_documented(components, auth_client):
    assert auth_client.get("/api/v1/users/me").json()["webhook_url"] == ""
    webhook_url = components["Me"]["properties"]["webhook_url"]
    assert webhook_url["oneOf"] == [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}]


@pytest.mark.parametrize("component", ["RegisterRequest", "UserCreateRequest", "PatchedMeUpdateRequest"])
def test_usernames_are_documented_with_their_rule(components, component):
    username = components[component]["properties"]["username"]
    assert username["pattern"] == "^[A-Za-z0-9_]{2,30}$"


def test_a_username_against_the_rule_is_refused_by_the_serializer(api_client):
    response = api_client.post(
        "/api/v1/auth/register", {"email": "a@example.com", "username": "a.b", "password": "plum-tractor-88"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid_username", "message": "Use 2 to 30 letters, digits or underscores.", "field": "username"}
    ]
