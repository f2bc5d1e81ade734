"""The OAuth 2.1 authorization server (oauth_server/, on django-oauth-toolkit): other programs act
for a person with the scopes and organizations the person granted. See docs/delegated-access.md.
"""

from pathlib import Path

from config.credentials import SCOPES

from .env import BASE_DIR, env

# The issuer: this site's base URL, as clients and resource servers (the MCP endpoint) name it, with no
# trailing slash. Empty: taken from each request's scheme and host (DJANGO_ALLOWED_HOSTS bounds it),
# which suits development and tests; set it in production.
OAUTH_ISSUER = env.str("OAUTH_ISSUER", default="").rstrip("/")
# Lifetimes, in seconds. Access tokens are JWTs checked against their row on every request.
OAUTH_ACCESS_TOKEN_SECONDS = env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=60 * 60)
OAUTH_REFRESH_TOKEN_SECONDS = env.int("OAUTH_REFRESH_TOKEN_SECONDS", default=30 * 24 * 60 * 60)
OAUTH_AUTHORIZATION_CODE_SECONDS = env.int("OAUTH_AUTHORIZATION_CODE_SECONDS", default=10 * 60)
# RFC 7591 dynamic client registration of public clients (MCP clients register themselves).
OAUTH_DYNAMIC_REGISTRATION = env.bool("OAUTH_DYNAMIC_REGISTRATION", default=True)
# How long the sign-in of the authorization page lasts (a Django session cookie, for this flow only).
OAUTH_SIGN_IN_SECONDS = env.int("OAUTH_SIGN_IN_SECONDS", default=60 * 60)


def _jwt_private_key() -> str:
    """The RSA key (PEM) that signs access tokens and ID tokens.

    OAUTH_JWT_PRIVATE_KEY, or the file OAUTH_JWT_PRIVATE_KEY_FILE names. Outside production (which
    requires one of them, see production.py) a key is generated once into that file, by default
    ``<repo>/oauth-dev-private-key.pem`` (ignored by git), so tokens survive a restart.
    """
    pem = env.str("OAUTH_JWT_PRIVATE_KEY", default="", multiline=True).strip()
    if pem:
        return pem
    path = Path(env.str("OAUTH_JWT_PRIVATE_KEY_FILE", default=str(BASE_DIR / "oauth-dev-private-key.pem")))
    if path.is_file():
        return path.read_text().strip()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    try:
        path.write_text(pem)
        path.chmod(0o600)
    except OSError:  # a read-only checkout: this process's key, new at each start
        pass
    return pem.strip()


OAUTH_JWT_PRIVATE_KEY = _jwt_private_key()

# django-oauth-toolkit, with its models swapped for oauth_server's (they point at the person's grant).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth_server.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth_server.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth_server.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_GRANT_MODEL = "oauth_server.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth_server.IDToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER = {
    "SCOPES": {**SCOPES, "openid": "Know who you are (your account's id)"},
    "DEFAULT_SCOPES": ["profile"],
    "OAUTH2_VALIDATOR_CLASS": "oauth_server.validators.OAuthServerValidator",
    "OAUTH2_SERVER_CLASS": "oauth_server.validators.OAuthServer",
    "ACCESS_TOKEN_GENERATOR": "oauth_server.tokens.access_token_generate",
    # Opaque refresh tokens (oauthlib would otherwise reuse the access token's generator).
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": OAUTH_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": OAUTH_REFRESH_TOKEN_SECONDS,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": OAUTH_AUTHORIZATION_CODE_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": OAUTH_ACCESS_TOKEN_SECONDS,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "REQUEST_APPROVAL_PROMPT": "force",
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OAUTH_JWT_PRIVATE_KEY,
    "OIDC_ISS_ENDPOINT": OAUTH_ISSUER,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    # RFC 9700: no implicit or password grant, no "plain" PKCE, no token in a query string, tokens
    # stored as their SHA-256 only, the `iss` authorization response parameter (RFC 9207).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,  # http stays allowed, for loopback redirects
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
