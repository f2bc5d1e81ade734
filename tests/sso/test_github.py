"""Signing in with GitHub (OAuth 2.0, not OpenID Connect) against the GitHub stand-in on loopback
(tests/sso/github_standin.py: a server of GitHub's API shape, not GitHub). The ``oidc`` tier."""

import pytest
import requests

from audit.models import AuditEvent
from sso.models import SocialIdentity
from tests.organizations.assertions import assert_error
from tests.sso.conftest import REDIRECT_URI

pytestmark = [pytest.mark.django_db, pytest.mark.oidc]

CALLBACK = "/api/v1/oauth/callback/github"


def github_sign_in(client) -> tuple:
    started = client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI}).json()
    redirect = requests.get(started["authorization_url"], allow_redirects=False, timeout=5)
    assert redirect.status_code == 302
    query = dict(part.split("=", 1) for part in redirect.headers["Location"].split("?", 1)[1].split("&"))
    assert query["state"] == started["state"]
    return client.post(CALLBACK, {"code": query["code"], "state": query["state"]}, format="json"), query


def test_a_github_sign_in_uses_the_primary_verified_email(api_client, github_standin):
    github_standin.emails = [
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": "octo@example.com", "primary": True, "verified": True},
    ]
    response, _ = github_sign_in(api_client)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == "octo@example.com"
    assert body["user"]["username"] == "octocat"
    identity = SocialIdentity.objects.get()
    assert (identity.provider, identity.subject) == ("github", "1")


def test_an_unverified_primary_email_is_refused(api_client, github_standin):
    github_standin.emails = [
        {"email": "octo@example.com", "primary": True, "verified": False},
        {"email": "other@example.com", "primary": False, "verified": True},
    ]
    response, _ = github_sign_in(api_client)
    assert_error(response, 403, "email_not_verified")
    assert not SocialIdentity.objects.exists()


def test_a_code_github_refuses_is_a_provider_error(api_client, github_standin):
    started = api_client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI}).json()
    response = api_client.post(CALLBACK, {"code": "made-up", "state": started["state"]}, format="json")
    assert_error(response, 400, "provider_error")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SSO_LOGIN_FAILED)
    assert event.data == {"provider": "github", "reason": "token_bad_verification_code", "intent": "sign_in"}


def test_a_github_that_stopped_answers_503(api_client, github_standin):
    started = api_client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI}).json()
    github_standin.stop()
    response = api_client.post(CALLBACK, {"code": "c", "state": started["state"]}, format="json")
    assert_error(response, 503, "provider_unavailable")
