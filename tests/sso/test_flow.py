"""Single sign-on through the API as a frontend calls it, with the provider's side replaced (conftest.py):
starting an attempt, the state's checks, the linking rules and the failures' audit."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.utils import timezone

from audit.models import AuditEvent
from sessions_app.models import UserSession
from sso import providers
from sso.models import SocialIdentity, SSOAttempt
from tests.factories import SocialIdentityFactory, UserFactory
from tests.organizations.assertions import assert_error
from tests.sso.conftest import REDIRECT_URI

pytestmark = pytest.mark.django_db

CALLBACK = "/api/v1/oauth/callback/github"


def callback(client, state, code="the-code", **extra):
    return client.post(CALLBACK, {"code": code, "state": state, **extra}, format="json")


def failures():
    return list(AuditEvent.objects.filter(kind=AuditEvent.Kind.SSO_LOGIN_FAILED).values_list("data", flat=True))


# --- Providers and starting ---------------------------------------------------------------------


def test_an_unconfigured_provider_answers_404(api_client, settings):
    settings.GITHUB_CLIENT_ID = ""
    assert_error(api_client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI}), 404)
    assert_error(api_client.get("/api/v1/oauth/authorize/nope", {"redirect_uri": REDIRECT_URI}), 404)
    assert_error(api_client.post(CALLBACK, {"code": "c", "state": "s"}, format="json"), 404)


def test_the_provider_list_names_the_configured_providers(api_client, github_on):
    response = api_client.get("/api/v1/oauth/providers")
    assert response.status_code == 200
    assert response.json() == [{"name": "github", "display_name": "GitHub", "kind": "oauth2"}]


def test_authorize_answers_the_provider_url_with_pkce_and_sets_the_binding_cookie(api_client, github_on):
    response = api_client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI})
    assert response.status_code == 200, response.content
    body = response.json()
    url = urlsplit(body["authorization_url"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://github.test/login/oauth/authorize"
    assert query["state"] == body["state"]
    assert query["client_id"] == "gh-client"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    attempt = SSOAttempt.objects.get()
    assert query["code_challenge"] == create_s256_code_challenge(attempt.code_verifier)
    assert body["state"] not in {attempt.state_hash, attempt.binding_hash}  # kept only hashed
    cookie = response.cookies["sso_binding"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/api/v1/oauth/"


def test_a_second_attempt_in_the_same_browser_keeps_its_binding(api_client, start):
    start()
    first = api_client.cookies["sso_binding"].value
    start()
    assert api_client.cookies["sso_binding"].value == first
    assert SSOAttempt.objects.values("binding_hash").distinct().count() == 1


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/sso/callback", "http://localhost:3000/sso/callback/x"])
def test_a_redirect_uri_not_in_the_allow_list_is_refused(api_client, github_on, redirect_uri):
    response = api_client.get("/api/v1/oauth/authorize/github", {"redirect_uri": redirect_uri})
    body = assert_error(response, 400, "redirect_uri_not_allowed")
    assert body["errors"][0]["field"] == "redirect_uri"
    assert not SSOAttempt.objects.exists()


def test_the_default_allow_list_is_the_frontends_callback_page():
    from django.conf import settings

    assert [f"{settings.FRONTEND_URL.rstrip('/')}/sso/callback"] == settings.SSO_REDIRECT_URIS


# --- The state -------------------------------------------------------------------------------


def test_a_callback_signs_in_with_the_body_of_login(api_client, start, provider_says):
    user = UserFactory(email="dev@example.com", email_verified_at=timezone.now())
    SocialIdentityFactory(user=user, provider="github", subject="gh-42")
    provider_says(subject="gh-42", email="dev@example.com")
    response = callback(api_client, start(), device_name="Laptop")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"access", "refresh", "user", "session"} <= set(body)
    assert body["user"]["id"] == str(user.pk)
    session = UserSession.objects.get(pk=body["session"]["id"])
    assert session.sign_in_method == "github"
    assert session.device_name == "Laptop"
    assert provider_says.calls[0]["redirect_uri"] == REDIRECT_URI
    assert provider_says.calls[0]["code"] == "the-code"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOGIN_SUCCEEDED, user=user, data__method="github").exists()


def test_a_replayed_state_is_refused(api_client, start, provider_says):
    provider_says()
    state = start()
    assert callback(api_client, state).status_code == 200
    assert_error(callback(api_client, state), 400, "invalid_state")
    assert failures() == [{"provider": "github", "reason": "state_used"}]


def test_a_state_from_another_browser_is_refused(api_client, start, provider_says):
    """Login CSRF: the attacker's code and state, planted on the victim's browser, finish nowhere."""
    provider_says()
    state = start()
    api_client.cookies.pop("sso_binding")
    assert_error(callback(api_client, state), 400, "invalid_state")
    api_client.cookies["sso_binding"] = "x" * 43
    assert_error(callback(api_client, state), 400, "invalid_state")
    assert [f["reason"] for f in failures()] == ["browser_mismatch", "browser_mismatch"]
    assert not provider_says.calls  # the code was never exchanged


def test_an_unknown_or_expired_state_or_another_providers_is_refused(api_client, start, provider_says, settings):
    provider_says()
    assert_error(callback(api_client, "made-up"), 400, "invalid_state")
    state = start()
    SSOAttempt.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(callback(api_client, state), 400, "invalid_state")
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "g", "s"
    other = start()
    assert_error(api_client.post("/api/v1/oauth/callback/google", {"code": "c", "state": other}), 400, "invalid_state")
    assert [f["reason"] for f in failures()] == ["state_unknown", "state_expired", "state_unknown"]


def test_a_failed_exchange_still_uses_up_the_state(api_client, start, monkeypatch):
    def refuse(*args, **kwargs):
        raise providers.provider_error("token_invalid_grant")

    monkeypatch.setattr(providers, "fetch_token", refuse)
    state = start()
    assert_error(callback(api_client, state), 400, "provider_error")
    assert_error(callback(api_client, state), 400, "invalid_state")


def test_a_provider_that_cannot_be_reached_answers_503_not_500(api_client, start, monkeypatch):
    def timeout(*args, **kwargs):
        raise requests.ConnectTimeout("slow")

    monkeypatch.setattr(requests.Session, "request", timeout)
    assert_error(callback(api_client, start()), 503, "provider_unavailable")
    assert failures()[-1]["reason"] == "token_unreachable"


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, "oops", "provider_bad_response"),
        (200, "<html>", "provider_bad_response"),
        (200, "[]", "provider_bad_response"),
    ],
)
def test_a_provider_answering_nonsense_answers_502(api_client, start, monkeypatch, status, body, code):
    def answer(self, method, url, *args, **kwargs):
        response = requests.Response()
        response.status_code, response._content, response.url = status, body.encode(), url
        return response

    monkeypatch.setattr(requests.Session, "request", answer)
    assert_error(callback(api_client, start()), 502, "provider_bad_response")


def test_discovery_that_cannot_be_reached_answers_503_at_authorize(api_client, settings, monkeypatch):
    settings.OIDC_DISCOVERY_URL = "https://idp.example/.well-known/openid-configuration"
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "c", "s"
    settings.SSO_REDIRECT_URIS = [REDIRECT_URI]

    def timeout(*args, **kwargs):
        raise requests.ReadTimeout("slow")

    monkeypatch.setattr(requests, "get", timeout)
    response = api_client.get("/api/v1/oauth/authorize/oidc", {"redirect_uri": REDIRECT_URI})
    assert_error(response, 503, "provider_unavailable")


# --- Linking rules ---------------------------------------------------------------------------


def test_a_new_verified_email_creates_an_account_without_a_password(api_client, start, provider_says):
    provider_says(subject="gh-7", email="New.Person@Example.com", name="New Person", username_hint="new-person")
    response = callback(api_client, start())
    assert response.status_code == 200, response.content
    identity = SocialIdentity.objects.select_related("user").get(provider="github", subject="gh-7")
    user = identity.user
    assert user.email == "new.person@example.com"
    assert user.email_verified
    assert not user.has_usable_password()
    assert user.username == "new_person"
    assert user.full_name == "New Person"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.IDENTITY_LINKED, user=user, data__by="new_account").exists()


def test_a_new_accounts_username_is_made_unique(api_client, start, provider_says):
    UserFactory(username="Dev")
    provider_says(email="dev@example.org", username_hint="dev")
    assert callback(api_client, start()).status_code == 200
    assert SocialIdentity.objects.get().user.username == "dev_2"


def test_a_verified_email_links_to_the_account_that_verified_it(api_client, start, provider_says):
    user = UserFactory(email="ana@example.com", email_verified_at=timezone.now())
    provider_says(subject="gh-9", email="ana@example.com")
    response = callback(api_client, start())
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.pk)
    assert SocialIdentity.objects.get().user == user
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.IDENTITY_LINKED, user=user, data__by="verified_email"
    ).exists()


def test_an_account_that_has_not_verified_its_email_is_not_linked(api_client, start, provider_says):
    """The impostor who registered someone's address first must not receive their sign-ins, nor they the impostor's."""
    squatter = UserFactory(email="ana@example.com", email_verified_at=None)
    provider_says(subject="gh-9", email="ana@example.com")
    assert_error(callback(api_client, start()), 409, "account_link_required")
    assert not SocialIdentity.objects.exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SSO_LOGIN_FAILED)
    assert event.user == squatter
    assert event.data["reason"] == "account_link_required"


def test_linking_by_email_can_be_switched_off(api_client, start, provider_says, settings):
    settings.SSO_LINK_BY_VERIFIED_EMAIL = False
    UserFactory(email="ana@example.com", email_verified_at=timezone.now())
    provider_says(email="ana@example.com")
    assert_error(callback(api_client, start()), 409, "account_link_required")


def test_an_email_the_provider_has_not_verified_neither_links_nor_creates(api_client, start, provider_says):
    user = UserFactory(email="ana@example.com", email_verified_at=timezone.now())
    provider_says(email="ana@example.com", email_verified=False)
    assert_error(callback(api_client, start()), 403, "email_not_verified")
    provider_says(email="nobody-yet@example.com", email_verified=False)
    assert_error(callback(api_client, start()), 403, "email_not_verified")
    assert not SocialIdentity.objects.exists()
    assert list(type(user).objects.values_list("email", flat=True)) == ["ana@example.com"]


def test_no_email_at_all_is_refused(api_client, start, provider_says):
    provider_says(email="", email_verified=False)
    assert_error(callback(api_client, start()), 403, "email_required")


def test_a_linked_identity_signs_in_whatever_email_it_now_asserts(api_client, start, provider_says):
    identity = SocialIdentityFactory(provider="github", subject="gh-5")
    provider_says(subject="gh-5", email="changed@example.com", email_verified=False)
    response = callback(api_client, start())
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(identity.user_id)
    identity.refresh_from_db()
    assert identity.email == "changed@example.com"
    assert identity.last_used_at is not None


def test_a_disabled_account_cannot_sign_in(api_client, start, provider_says):
    SocialIdentityFactory(provider="github", subject="gh-5", user=UserFactory(is_active=False))
    provider_says(subject="gh-5")
    assert_error(callback(api_client, start()), 401, "user_inactive")
