"""Single sign-on fixtures. The fast tests replace the provider's side at ``sso.providers.provider_identity``
(the exchange of a code for who signed in); the real provider and the GitHub stand-in are in
test_oidc_provider.py and test_github.py (the ``oidc`` tier)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from sso import providers

REDIRECT_URI = "http://localhost:3000/sso/callback"


@pytest.fixture
def github_on(settings):
    """GitHub configured (it needs no discovery, so authorize works without a network)."""
    settings.GITHUB_CLIENT_ID = "gh-client"
    settings.GITHUB_CLIENT_SECRET = "gh-secret"
    settings.GITHUB_URL = "https://github.test"
    settings.GITHUB_API_URL = "https://api.github.test"
    settings.SSO_REDIRECT_URIS = [REDIRECT_URI]
    return settings


def state_of(authorization_url: str) -> str:
    return parse_qs(urlsplit(authorization_url).query)["state"][0]


@pytest.fixture
def provider_says(monkeypatch):
    """``provider_says(subject=..., email=..., email_verified=...)``: what the provider's side of the next
    callbacks answers. The calls it received are in ``provider_says.calls``."""
    calls = []

    def configure(*, subject="gh-1", email="someone@example.com", email_verified=True, provider="github", **extra):
        found = providers.ProviderIdentity(
            provider=provider, subject=subject, email=email, email_verified=email_verified, **extra
        )

        def fake(provider_config, **kwargs):
            calls.append(kwargs)
            return found

        monkeypatch.setattr(providers, "provider_identity", fake)
        return found

    configure.calls = calls
    return configure


@pytest.fixture
def start(api_client, github_on):
    """``start(client=api_client)``: GET /oauth/authorize/github on ``client``; answers the state."""

    def go(client=None):
        client = client or api_client
        response = client.get("/api/v1/oauth/authorize/github", {"redirect_uri": REDIRECT_URI})
        assert response.status_code == 200, response.content
        return response.json()["state"]

    return go


# --- The oidc tier: a real OpenID Connect provider, and the GitHub stand-in --------------------

APP_CLIENT = {
    "client_id": "workspace",
    "client_secret": "workspace-secret",
    "redirect_uris": [REDIRECT_URI],
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
}
# Another application registered at the same provider: its ID tokens are not meant for us.
OTHER_CLIENT = {**APP_CLIENT, "client_id": "other-app", "client_secret": "other-secret"}
ACCOUNTS = {
    "alice": {
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice Liddell",
        "preferred_username": "alice",
    },
    "bob": {"email": "bob@example.com", "email_verified": False, "name": "Bob"},
}


@pytest.fixture(scope="module")
def oidc_provider():
    """panva/oidc-provider on a free loopback port (devtools/oidc_provider.py), with our client, another
    client and the ``ACCOUNTS``. One per test module; tests that change it put it back."""
    from devtools.oidc_provider import OidcProvider

    provider = OidcProvider(clients=[APP_CLIENT, OTHER_CLIENT], accounts=ACCOUNTS)
    try:
        yield provider.start()
    finally:
        provider.stop()


@pytest.fixture
def oidc_on(settings, oidc_provider):
    """The app configured for the real provider as its generic OIDC provider."""
    settings.OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_CLIENT_ID = APP_CLIENT["client_id"]
    settings.OIDC_CLIENT_SECRET = APP_CLIENT["client_secret"]
    settings.OIDC_DISPLAY_NAME = "Test provider"
    settings.SSO_REDIRECT_URIS = [REDIRECT_URI]
    settings.SSO_HTTP_TIMEOUT = 5.0
    oidc_provider.set_id_token_ttl(300)
    return oidc_provider


@pytest.fixture
def github_standin(settings):
    """The GitHub stand-in (tests/sso/github_standin.py), with the app configured for it."""
    from tests.sso.github_standin import GitHubStandIn

    standin = GitHubStandIn(client_id="gh-client", client_secret="gh-secret").start()
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = standin.client_id, standin.client_secret
    settings.GITHUB_URL, settings.GITHUB_API_URL = standin.url, f"{standin.url}/api"
    settings.SSO_REDIRECT_URIS = [REDIRECT_URI]
    try:
        yield standin
    finally:
        standin.stop()
