"""Single sign-on: the identity providers (OIDC by discovery, Google, GitHub) and the rules of linking.

Each provider is on when its client id and secret are set (and, for OIDC, its discovery URL); an
unconfigured provider's endpoints answer 404. See docs/identity.md#single-sign-on.
"""

from .env import env
from .notifications import FRONTEND_URL

# Any OpenID Connect provider found through discovery (Microsoft Entra ID, Okta, Keycloak, ...).
OIDC_DISCOVERY_URL = env.str("OIDC_DISCOVERY_URL", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_DISPLAY_NAME = env.str("OIDC_DISPLAY_NAME", default="Single sign-on")
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
# Count an email this provider asserts as verified even without `email_verified`: only for an
# organization's own provider that manages its people's addresses (single-tenant Entra ID).
OIDC_TRUST_EMAIL = env.bool("OIDC_TRUST_EMAIL", default=False)

GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"

# GitHub is OAuth 2.0, not OpenID Connect: the person comes from its REST API. GitHub Enterprise
# Server: GITHUB_URL=https://github.example.com, GITHUB_API_URL=https://github.example.com/api/v3.
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
GITHUB_URL = env.str("GITHUB_URL", default="https://github.com")
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")

# Where a provider may send the person back: the frontend's page that posts the code to the API.
SSO_REDIRECT_URIS = env.list("SSO_REDIRECT_URIS", default=[f"{FRONTEND_URL.rstrip('/')}/sso/callback"])
# Link a provider identity to the account with the same email when both sides have verified it.
SSO_LINK_BY_VERIFIED_EMAIL = env.bool("SSO_LINK_BY_VERIFIED_EMAIL", default=True)
# Seconds between GET /oauth/authorize and the callback before the attempt expires.
SSO_ATTEMPT_SECONDS = env.int("SSO_ATTEMPT_SECONDS", default=10 * 60)
# Seconds each request to a provider may take (connect and read) before the API answers 503.
SSO_HTTP_TIMEOUT = env.float("SSO_HTTP_TIMEOUT", default=10.0)
# Seconds a provider's discovery document and JWKS are kept (a key id not in the JWKS refetches it).
SSO_METADATA_CACHE_SECONDS = env.int("SSO_METADATA_CACHE_SECONDS", default=60 * 60)
