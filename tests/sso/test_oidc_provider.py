"""Single sign-on end to end against a real OpenID Connect provider (panva/oidc-provider under Node.js,
devtools/oidc-provider/), through the API as a frontend calls it and the provider's pages as a browser
fills them in. The ``oidc`` tier.

Two cases need a token altered between the provider and the app; they alter it at the narrowest
seam, the token endpoint's answer as ``sso.providers.fetch_token`` returns it (a tampered ID token;
another client's ID token, for the wrong audience). A wrong nonce is made in the browser, where an
attacker can reach: the authorization URL's nonce is changed before the provider sees it.
"""

import base64
import json
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from audit.models import AuditEvent
from sessions_app.models import UserSession
from sso import providers
from sso.models import SocialIdentity
from tests.factories import UserFactory
from tests.organizations.assertions import assert_error
from tests.sso.conftest import OTHER_CLIENT, REDIRECT_URI

pytestmark = [pytest.mark.django_db, pytest.mark.oidc]

CALLBACK = "/api/v1/oauth/callback/oidc"


def browser_sign_in(authorization_url: str, *, login: str) -> dict:
    """Follow ``authorization_url`` as a browser: the provider's login form, then its consent form, until
    it redirects to our redirect URI. Answers that redirect's query (``code``, ``state``, ``iss``)."""
    browser = requests.Session()
    response = browser.get(authorization_url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(REDIRECT_URI):
                return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
            response = browser.get(location, allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text[:500]
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1)
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text).group(1)
        form = {"prompt": prompt, **({"login": login, "password": "any"} if prompt == "login" else {})}
        response = browser.post(urljoin(response.url, action), data=form, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never redirected back")


def authorize(client) -> dict:
    response = client.get("/api/v1/oauth/authorize/oidc", {"redirect_uri": REDIRECT_URI})
    assert response.status_code == 200, response.content
    return response.json()


def sign_in(client, *, login="alice", url_change=None) -> tuple:
    started = authorize(client)
    url = url_change(started["authorization_url"]) if url_change else started["authorization_url"]
    back = browser_sign_in(url, login=login)
    assert back["state"] == started["state"]
    response = client.post(CALLBACK, {"code": back["code"], "state": back["state"]}, format="json")
    return response, back


def failure_reasons():
    return [e.data["reason"] for e in AuditEvent.objects.filter(kind=AuditEvent.Kind.SSO_LOGIN_FAILED)]


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def token_answer(monkeypatch):
    """``token_answer(change)``: the token endpoint's answer passes through ``change`` before the app reads it."""

    def install(change):
        real = providers.fetch_token

        def altered(*args, **kwargs):
            return change(real(*args, **kwargs))

        monkeypatch.setattr(providers, "fetch_token", altered)

    return install


def test_discovery_and_a_first_sign_in_make_an_account(api_client, oidc_on):
    providers_listed = api_client.get("/api/v1/oauth/providers").json()
    assert providers_listed == [{"name": "oidc", "display_name": "Test provider", "kind": "oidc"}]
    started = authorize(api_client)
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    assert started["authorization_url"].startswith(f"{oidc_on.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    response, _ = sign_in(api_client)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == "alice@example.com"
    assert body["user"]["username"] == "alice"
    assert UserSession.objects.get(pk=body["session"]["id"]).sign_in_method == "oidc"
    identity = SocialIdentity.objects.get()
    assert (identity.provider, identity.subject, identity.email_verified) == ("oidc", "alice", True)
    # The tokens work on the API.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/v1/users/me").json()["email"] == "alice@example.com"


def test_signing_in_again_finds_the_same_account(api_client, oidc_on):
    first, _ = sign_in(api_client)
    second, _ = sign_in(api_client)
    assert second.status_code == 200
    assert second.json()["user"]["id"] == first.json()["user"]["id"]
    assert SocialIdentity.objects.count() == 1


def test_a_key_rotation_is_followed(api_client, oidc_on):
    assert sign_in(api_client)[0].status_code == 200
    fetched = oidc_on.jwks_requests()
    oidc_on.rotate_keys()  # the old key withdrawn: the cached JWKS knows none of the new tokens' keys
    response, _ = sign_in(api_client)
    assert response.status_code == 200, response.content
    assert oidc_on.jwks_requests() == fetched + 1  # fetched again once, on the unknown key id


def test_a_tampered_id_token_is_refused(api_client, oidc_on, token_answer):
    def tamper(token):
        header, payload, signature = token["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = "mallory"
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return {**token, "id_token": f"{header}.{payload}.{signature}"}

    token_answer(tamper)
    response, _ = sign_in(api_client)
    assert_error(response, 400, "invalid_id_token")
    assert failure_reasons() == ["signature"]
    assert not SocialIdentity.objects.exists()


def test_a_wrong_nonce_is_refused(api_client, oidc_on):
    response, _ = sign_in(api_client, url_change=lambda url: with_query(url, nonce="not-the-attempts-nonce"))
    assert_error(response, 400, "invalid_id_token")
    assert failure_reasons() == ["nonce"]


def test_a_replayed_state_is_refused(api_client, oidc_on):
    response, back = sign_in(api_client)
    assert response.status_code == 200
    replay = api_client.post(CALLBACK, {"code": back["code"], "state": back["state"]}, format="json")
    assert_error(replay, 400, "invalid_state")
    assert failure_reasons() == ["state_used"]


def test_a_code_for_another_attempt_fails_pkce_at_the_provider(api_client, oidc_on):
    """Code injection: a code obtained for one attempt, posted with another attempt's state."""
    stolen = browser_sign_in(authorize(api_client)["authorization_url"], login="alice")
    mine = authorize(api_client)
    response = api_client.post(CALLBACK, {"code": stolen["code"], "state": mine["state"]}, format="json")
    assert_error(response, 400, "provider_error")
    assert failure_reasons() == ["token_invalid_grant"]


def test_an_id_token_for_another_client_is_refused(api_client, oidc_on, token_answer):
    """Token substitution: a genuine ID token of the same provider, issued to another application (with
    our attempt's nonce, so that only the audience is wrong)."""
    nonce_seen = {}

    def other_clients_token(token):
        metadata = requests.get(oidc_on.discovery_url, timeout=5).json()
        other = OAuth2Session(
            OTHER_CLIENT["client_id"],
            OTHER_CLIENT["client_secret"],
            scope="openid email",
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
        )
        verifier = generate_token(48)
        url, _ = other.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce_seen["nonce"]
        )
        back = browser_sign_in(url, login="alice")
        theirs = other.fetch_token(metadata["token_endpoint"], code=back["code"], code_verifier=verifier)
        return {**token, "id_token": theirs["id_token"]}

    token_answer(other_clients_token)
    started = authorize(api_client)
    nonce_seen["nonce"] = parse_qs(urlsplit(started["authorization_url"]).query)["nonce"][0]
    back = browser_sign_in(started["authorization_url"], login="alice")
    response = api_client.post(CALLBACK, {"code": back["code"], "state": back["state"]}, format="json")
    assert_error(response, 400, "invalid_id_token")
    assert failure_reasons() == ["audience"]


def test_an_expired_id_token_is_refused(api_client, oidc_on):
    oidc_on.set_id_token_ttl(-300)  # the provider signs tokens whose exp passed five minutes ago
    try:
        response, _ = sign_in(api_client)
    finally:
        oidc_on.set_id_token_ttl(300)
    assert_error(response, 400, "invalid_id_token")
    assert failure_reasons() == ["expired"]


def test_an_unverified_email_neither_links_nor_creates(api_client, oidc_on):
    UserFactory(email="bob@example.com")
    response, _ = sign_in(api_client, login="bob")
    assert_error(response, 403, "email_not_verified")
    assert failure_reasons() == ["email_not_verified"]
    assert not SocialIdentity.objects.exists()


def test_a_verified_email_links_to_the_verified_account(api_client, oidc_on):
    from django.utils import timezone

    user = UserFactory(email="alice@example.com", email_verified_at=timezone.now())
    response, _ = sign_in(api_client)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.pk)


def test_the_email_is_read_from_userinfo_when_the_id_token_leaves_it_out(api_client, settings):
    """A provider that follows the letter of OpenID Connect Core 5.4 (scope claims only at userinfo)."""
    from devtools.oidc_provider import OidcProvider
    from tests.sso.conftest import ACCOUNTS, APP_CLIENT

    strict = OidcProvider(clients=[APP_CLIENT], accounts=ACCOUNTS, conform_id_token_claims=True).start()
    try:
        settings.OIDC_DISCOVERY_URL = strict.discovery_url
        settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = APP_CLIENT["client_id"], APP_CLIENT["client_secret"]
        settings.SSO_REDIRECT_URIS = [REDIRECT_URI]
        response, _ = sign_in(api_client)
    finally:
        strict.stop()
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == "alice@example.com"


def test_a_provider_that_stopped_answers_503(api_client, settings):
    from devtools.processes import free_port

    settings.OIDC_DISCOVERY_URL = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "c", "s"
    settings.SSO_REDIRECT_URIS = [REDIRECT_URI]
    response = api_client.get("/api/v1/oauth/authorize/oidc", {"redirect_uri": REDIRECT_URI})
    assert_error(response, 503, "provider_unavailable")
