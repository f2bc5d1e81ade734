"""Tokens that must not sign anyone in answer 401 in the envelope."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from sessions_app.models import UserSession
from tests.sessions_app.conftest import ME, bearer

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def assert_401(response, code=None):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["success"] is False
    if code:
        assert body["errors"][0]["code"] == code


def test_alg_none_is_refused(api_client, login, user):
    claims = claims_of(login(user)["access"])
    forged = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert_401(bearer(api_client, forged).get(ME), "token_not_valid")


def test_wrong_algorithm_is_refused(api_client, login, user):
    claims = claims_of(login(user)["access"])
    forged = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"] * 2, algorithm="HS512")
    assert_401(bearer(api_client, forged).get(ME), "token_not_valid")


def test_tampered_signature_is_refused(api_client, login, user):
    header, payload, signature = login(user)["access"].split(".")
    tampered_claims = {
        **claims_of(f"{header}.{payload}.{signature}"),
        "user_id": "00000000-0000-0000-0000-000000000000",
    }
    assert_401(bearer(api_client, f"{header}.{b64(tampered_claims)}.{signature}").get(ME), "token_not_valid")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert_401(bearer(api_client, f"{header}.{payload}.{flipped}").get(ME), "token_not_valid")


def test_expired_access_token_is_refused(api_client, login, user):
    claims = claims_of(login(user)["access"])
    claims["exp"] = int((timezone.now() - timedelta(minutes=1)).timestamp())
    expired = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert_401(bearer(api_client, expired).get(ME), "token_not_valid")


def test_refresh_token_is_not_an_access_token(api_client, login, user):
    assert_401(bearer(api_client, login(user)["refresh"]).get(ME), "token_not_valid")


def test_token_without_a_session_is_refused(api_client, login, user):
    claims = claims_of(login(user)["access"])
    del claims["sid"]
    sessionless = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert_401(bearer(api_client, sessionless).get(ME), "session_not_found")


def test_expired_session_is_refused_even_with_a_fresh_access_token(api_client, login, user):
    tokens = login(user)
    UserSession.objects.filter(pk=tokens["session"]["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    cache.clear()  # the cached state holds the real expiry; we moved it in the database behind its back
    assert_401(bearer(api_client, tokens["access"]).get(ME), "session_expired")


def test_deactivated_user_is_refused_on_the_next_request(api_client, login, user):
    tokens = login(user)
    client = bearer(api_client, tokens["access"])
    assert client.get(ME).status_code == 200
    user.is_active = False
    user.save()
    assert_401(client.get(ME), "user_inactive")


def test_malformed_authorization_headers(api_client):
    for header in ["Bearer", "Bearer a b", "Basic dXNlcjpwYXNz", "Bearer \x00"]:
        api_client.credentials(HTTP_AUTHORIZATION=header)
        assert api_client.get(ME).status_code == 401
