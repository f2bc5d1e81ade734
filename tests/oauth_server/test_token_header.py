"""A bearer token is told apart by its JWT header alone (``oauth_server.tokens.looks_like_access_token``): whatever
that header holds, the answer is a 401 in the envelope, never a 500."""

import base64
import json

import pytest

from oauth_server.tokens import ACCESS_TOKEN_TYPE, looks_like_access_token

pytestmark = pytest.mark.django_db


def segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


HEADERS = {
    "not base64": "%%%",
    "not UTF-8": segment(b"\xff\xfe\xfd"),
    "not JSON": segment(b"{typ:"),
    "a JSON array": segment(b'["at+jwt"]'),
    "nested too deep": segment(b"[" * 5000 + b"]" * 5000),
    "another type": segment(json.dumps({"typ": "JWT", "alg": "HS256"}).encode()),
    "our type, a forged signature": segment(json.dumps({"typ": ACCESS_TOKEN_TYPE, "alg": "RS256"}).encode()),
}


@pytest.mark.parametrize("header", HEADERS.values(), ids=HEADERS.keys())
def test_any_header_answers_401(api_client, header):
    token = f"{header}.{segment(b'{}')}.{segment(b'signature')}"
    response = api_client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401, response.content
    refused = {"not_authenticated", "authentication_failed", "token_not_valid", "invalid_token"}
    assert response.json()["errors"][0]["code"] in refused


def test_only_our_access_tokens_type_is_taken_for_one():
    payload = segment(b"{}")
    ours = segment(json.dumps({"typ": ACCESS_TOKEN_TYPE}).encode())
    assert looks_like_access_token(f"{ours}.{payload}.sig")
    assert looks_like_access_token(f"{ours}==.{payload}.sig")  # padded, as some encoders write it
    assert not looks_like_access_token(f"{HEADERS['another type']}.{payload}.sig")
    assert not looks_like_access_token(f"{ours}.{payload}")  # two segments: no JWT
