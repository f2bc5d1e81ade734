"""The identity providers: which are on, and the protocol with each, on Authlib.

OpenID Connect providers (a generic one found by discovery, and Google) give an ID token, checked
here against the provider's JWKS: signature, issuer, audience, expiry and nonce. GitHub is OAuth 2.0
only: the person comes from its REST API. Everything here talks to the provider; nothing writes
to the database. A provider that cannot be reached answers 503, one that answers nonsense 502,
never 500.
"""

import contextlib
import hashlib
import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingKeyError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet
from redis.exceptions import RedisError

from accounts.models import normalize_email
from config.errors import NotFound
from sso.errors import invalid_id_token, provider_bad_response, provider_error, provider_unavailable
from sso.models import Provider

logger = logging.getLogger("security")

# Clock skew allowed on the ID token's exp and iat.
ID_TOKEN_LEEWAY_SECONDS = 60
# Signatures accepted on ID tokens: asymmetric only (never "none", nor HS* keyed with our client secret).
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    display_name: str
    client_id: str
    client_secret: str
    scope: str
    discovery_url: str = ""  # OpenID Connect providers
    trust_email: bool = False
    web_url: str = ""  # GitHub
    api_url: str = ""

    @property
    def is_oidc(self) -> bool:
        return bool(self.discovery_url)


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in: its subject, and the email it asserts (verified or not)."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""
    username_hint: str = ""


def providers_enabled() -> dict[str, ProviderConfig]:
    """The providers whose settings are complete, by URL name, in a stable order."""
    found = {}
    if settings.OIDC_DISCOVERY_URL and settings.OIDC_CLIENT_ID and settings.OIDC_CLIENT_SECRET:
        found[Provider.OIDC] = ProviderConfig(
            name=Provider.OIDC,
            display_name=settings.OIDC_DISPLAY_NAME,
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            scope=settings.OIDC_SCOPES,
            discovery_url=settings.OIDC_DISCOVERY_URL,
            trust_email=settings.OIDC_TRUST_EMAIL,
        )
    if settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET:
        found[Provider.GOOGLE] = ProviderConfig(
            name=Provider.GOOGLE,
            display_name="Google",
            client_id=settings.GOOGLE_CLIENT_ID,
            client_secret=settings.GOOGLE_CLIENT_SECRET,
            scope="openid email profile",
            discovery_url=settings.GOOGLE_DISCOVERY_URL,
        )
    if settings.GITHUB_CLIENT_ID and settings.GITHUB_CLIENT_SECRET:
        found[Provider.GITHUB] = ProviderConfig(
            name=Provider.GITHUB,
            display_name="GitHub",
            client_id=settings.GITHUB_CLIENT_ID,
            client_secret=settings.GITHUB_CLIENT_SECRET,
            scope="read:user user:email",
            web_url=settings.GITHUB_URL.rstrip("/"),
            api_url=settings.GITHUB_API_URL.rstrip("/"),
        )
    return found


def provider_get(name: str) -> ProviderConfig:
    """The provider named in a URL; 404 when it is unknown or not configured."""
    provider = providers_enabled().get(name)
    if provider is None:
        raise NotFound("No such sign-in provider is configured.", code="provider_not_found")
    return provider


# --- HTTP -----------------------------------------------------------------------------------


def _timeout() -> tuple[float, float]:
    return (settings.SSO_HTTP_TIMEOUT, settings.SSO_HTTP_TIMEOUT)


def _get_json(url: str, *, what: str, headers: dict | None = None):
    """GET a provider's JSON document: 503 when it cannot be reached, 502 when it answers anything else."""
    try:
        response = requests.get(url, headers={"Accept": "application/json", **(headers or {})}, timeout=_timeout())
    except requests.RequestException as exc:
        logger.warning("SSO: %s at %s unreachable: %s", what, url, type(exc).__name__)
        raise provider_unavailable(f"{what}_unreachable") from exc
    if response.status_code != 200:
        logger.warning("SSO: %s at %s answered %s", what, url, response.status_code)
        raise provider_bad_response(f"{what}_status_{response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise provider_bad_response(f"{what}_not_json") from exc


def _cache_key(kind: str, url: str) -> str:
    return f"sso:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


def _cache_get(key: str):
    try:
        return cache.get(key)
    except (RedisError, OSError):  # the cache is an optimisation here: fetch again
        return None


def _cache_set(key: str, value) -> None:
    with contextlib.suppress(RedisError, OSError):
        cache.set(key, value, settings.SSO_METADATA_CACHE_SECONDS)


def oidc_metadata(provider: ProviderConfig) -> dict:
    """The provider's discovery document (cached), checked for what the flow needs."""
    key = _cache_key("discovery", provider.discovery_url)
    metadata = _cache_get(key)
    if metadata is not None:
        return metadata
    metadata = _get_json(provider.discovery_url, what="discovery")
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(metadata, dict) or not all(isinstance(metadata.get(name), str) for name in required):
        raise provider_bad_response("discovery_incomplete")
    # OpenID Connect Discovery 1.0, section 4.3: the issuer is the URL the document was found under.
    expected_issuer = provider.discovery_url.removesuffix(DISCOVERY_SUFFIX).rstrip("/")
    if metadata["issuer"].rstrip("/") != expected_issuer:
        logger.error("SSO: discovery at %s names issuer %s", provider.discovery_url, metadata["issuer"])
        raise provider_bad_response("discovery_issuer_mismatch")
    _cache_set(key, metadata)
    return metadata


def oidc_jwks(metadata: dict, *, refresh: bool = False) -> KeySet:
    """The provider's signing keys (cached; ``refresh`` fetches them again, as after a key rotation)."""
    key = _cache_key("jwks", metadata["jwks_uri"])
    document = None if refresh else _cache_get(key)
    if document is None:
        document = _get_json(metadata["jwks_uri"], what="jwks")
        _cache_set(key, document)
    try:
        return KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise provider_bad_response("jwks_invalid") from exc


def authorization_endpoint(provider: ProviderConfig) -> str:
    if provider.is_oidc:
        return oidc_metadata(provider)["authorization_endpoint"]
    return f"{provider.web_url}/login/oauth/authorize"


def _token_endpoint(provider: ProviderConfig) -> str:
    if provider.is_oidc:
        return oidc_metadata(provider)["token_endpoint"]
    return f"{provider.web_url}/login/oauth/access_token"


def _client(provider: ProviderConfig, *, redirect_uri: str) -> OAuth2Session:
    if provider.is_oidc:
        supported = oidc_metadata(provider).get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        auth_method = "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"
    else:
        auth_method = "client_secret_post"  # GitHub takes the client's credentials in the body
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=_timeout(),
    )


def authorization_url(
    provider: ProviderConfig, *, redirect_uri: str, state: str, code_verifier: str, nonce: str
) -> str:
    """The provider's authorization URL: code flow, PKCE S256, and for OpenID Connect the nonce."""
    extra = {"nonce": nonce} if provider.is_oidc else {}
    url, _state = _client(provider, redirect_uri=redirect_uri).create_authorization_url(
        authorization_endpoint(provider), state=state, code_verifier=code_verifier, **extra
    )
    return url


def fetch_token(provider: ProviderConfig, *, code: str, redirect_uri: str, code_verifier: str) -> dict:
    """Exchange the code (with the PKCE verifier) at the token endpoint."""
    client = _client(provider, redirect_uri=redirect_uri)
    try:
        token = client.fetch_token(
            _token_endpoint(provider),
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
        )
    except OAuthError as exc:
        # The provider refused the code (used, expired, not ours, the PKCE verifier does not match).
        raise provider_error(f"token_{exc.error}"[:64]) from exc
    except requests.HTTPError as exc:
        raise provider_bad_response(f"token_status_{exc.response.status_code}") from exc
    except requests.RequestException as exc:
        raise provider_unavailable("token_unreachable") from exc
    except ValueError as exc:  # not a JSON object
        raise provider_bad_response("token_not_json") from exc
    finally:
        client.close()
    if not token.get("access_token"):
        raise provider_bad_response("token_without_access_token")
    return dict(token)


# --- OpenID Connect: the ID token -----------------------------------------------------------


def _claim_reason(exc: ClaimError) -> str:
    claim = exc.claim.split(",")[0]
    return {"iss": "issuer", "aud": "audience", "azp": "audience"}.get(claim, claim)


def id_token_verify(
    id_token: str, *, jwks_loader, issuer: str, client_id: str, nonce: str, access_token: str = "", algorithms=None
) -> dict:
    """The claims of ``id_token`` once its signature (by a key of ``jwks_loader(refresh=False)``; a key id
    it lacks loads it again once, as after a rotation), issuer, audience, expiry and nonce are checked.

    Raises ``invalid_id_token`` with the failed check as the reason.
    """
    algorithms = [alg for alg in (algorithms or ["RS256"]) if alg in ID_TOKEN_ALGORITHMS] or ["RS256"]
    try:
        try:
            token = jwt.decode(id_token, jwks_loader(refresh=False), algorithms=algorithms)
        except InvalidKeyIdError:
            token = jwt.decode(id_token, jwks_loader(refresh=True), algorithms=algorithms)
        options = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        params = {"nonce": nonce, "client_id": client_id, "access_token": access_token}
        claims = CodeIDToken(token.claims, token.header, options, params)
        claims.validate(leeway=ID_TOKEN_LEEWAY_SECONDS)
    except ExpiredTokenError as exc:
        raise invalid_id_token("expired") from exc
    except ClaimError as exc:
        raise invalid_id_token(_claim_reason(exc)) from exc
    except BadSignatureError as exc:
        raise invalid_id_token("signature") from exc
    except (InvalidKeyIdError, MissingKeyError) as exc:
        raise invalid_id_token("unknown_key") from exc
    except UnsupportedAlgorithmError as exc:
        raise invalid_id_token("algorithm") from exc
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise invalid_id_token("malformed") from exc
    return dict(claims)


def _verified(claims: dict, *, trust_email: bool) -> bool:
    value = claims.get("email_verified")
    if value is True or (isinstance(value, str) and value.lower() == "true"):
        return True
    # Microsoft Entra ID: "the email's domain is verified by the tenant" (optional claim xms_edov).
    if value is None and claims.get("xms_edov") in (True, "true", "1", 1):
        return True
    return trust_email and value is None


def _userinfo(metadata: dict, *, access_token: str, subject: str) -> dict:
    """The userinfo endpoint's claims, for a provider that keeps the email out of the ID token."""
    endpoint = metadata.get("userinfo_endpoint")
    if not isinstance(endpoint, str):
        return {}
    info = _get_json(endpoint, what="userinfo", headers={"Authorization": f"Bearer {access_token}"})
    if not isinstance(info, dict) or info.get("sub") != subject:  # OpenID Connect Core, 5.3.2
        raise provider_bad_response("userinfo_subject_mismatch")
    return info


def oidc_identity(provider: ProviderConfig, token: dict, *, nonce: str) -> ProviderIdentity:
    metadata = oidc_metadata(provider)
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise invalid_id_token("missing")
    claims = id_token_verify(
        id_token,
        jwks_loader=lambda refresh: oidc_jwks(metadata, refresh=refresh),
        issuer=metadata["issuer"],
        client_id=provider.client_id,
        nonce=nonce,
        access_token=token.get("access_token", ""),
        algorithms=metadata.get("id_token_signing_alg_values_supported"),
    )
    if not claims.get("email"):
        claims = {**_userinfo(metadata, access_token=token["access_token"], subject=claims["sub"]), **claims}
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    return ProviderIdentity(
        provider=provider.name,
        subject=claims["sub"],
        email=normalize_email(email),
        email_verified=bool(email) and _verified(claims, trust_email=provider.trust_email),
        name=str(claims.get("name") or ""),
        username_hint=str(claims.get("preferred_username") or claims.get("nickname") or ""),
    )


# --- GitHub ---------------------------------------------------------------------------------


def github_identity(provider: ProviderConfig, token: dict) -> ProviderIdentity:
    """The GitHub user behind the token, with their primary email if GitHub has verified it."""
    headers = {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/vnd.github+json"}
    user = _get_json(f"{provider.api_url}/user", what="github_user", headers=headers)
    emails = _get_json(f"{provider.api_url}/user/emails", what="github_emails", headers=headers)
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) or not isinstance(emails, list):
        raise provider_bad_response("github_unexpected_shape")
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("email")), None)
    return ProviderIdentity(
        provider=provider.name,
        subject=str(user["id"]),
        email=normalize_email(primary["email"]) if primary else "",
        email_verified=bool(primary and primary.get("verified") is True),
        name=str(user.get("name") or ""),
        username_hint=str(user.get("login") or ""),
    )


def provider_identity(provider: ProviderConfig, *, code: str, redirect_uri: str, code_verifier: str, nonce: str):
    """The whole exchange: the code for tokens, then who signed in (``ProviderIdentity``)."""
    token = fetch_token(provider, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    if provider.is_oidc:
        return oidc_identity(provider, token, nonce=nonce)
    return github_identity(provider, token)
