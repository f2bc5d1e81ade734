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
