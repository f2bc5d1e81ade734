"""Access tokens as JWTs (RFC 9068, ``typ: at+jwt``), signed RS256 with OAUTH_JWT_PRIVATE_KEY.

The JWT carries the standard claims (iss, sub, aud, exp, iat, jti, client_id, scope) so a resource
server can read it, but this server never trusts a JWT alone: its row (found by the token's SHA-256)
must still exist and its grant must still be live, so revoking either ends the token at once.
"""

import base64
import hashlib
import json
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JWT type of RFC 9068
ALGORITHM = "RS256"


class InvalidAccessToken(Exception):
    """The JWT is not one this server signed, or it expired, or it names another issuer or audience."""


def signing_key():
    return jwk_from_pem(settings.OAUTH_JWT_PRIVATE_KEY)


def key_id() -> str:
    """The ``kid`` of the signing key: its RFC 7638 thumbprint, as the JWKS (DOT's) names it."""
    return signing_key().thumbprint()


def issuer(request) -> str:
    """OAUTH_ISSUER, or this request's scheme and host (a Django or an oauthlib request)."""
    return oauth2_settings.oidc_issuer(getattr(request, "_request", request)).rstrip("/")


def token_checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _audience(request, iss: str) -> list[str]:
    """RFC 8707: the resources the client asked for (at the token endpoint, or when it got the code),
    else this server itself (the REST API and the MCP endpoint are both on the issuer's origin)."""
    resource = getattr(request, "resource", None)
    if isinstance(resource, str):
        resource = resource.split()
    if not resource:
        code = getattr(request, "authorization_code_row", None)
        previous = getattr(request, "refresh_token_instance", None)
        resource = (code.resource if code else None) or (previous.resource if previous else None)
    return list(resource) if resource else [iss]


def access_token_generate(request) -> str:
    """oauthlib's token generator (ACCESS_TOKEN_GENERATOR): a signed JWT for this token request."""
    now = int(time.time())
    iss = issuer(request)
    client_id = request.client.client_id
    user = getattr(request, "user", None)
    jti = uuid.uuid4().hex
    request.access_token_jti = jti  # the validator keeps it on the token's row
    claims = {
        "iss": iss,
        "sub": str(user.pk) if user is not None else client_id,
        "aud": _audience(request, iss),
        "exp": now + oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS,
        "iat": now,
        "nbf": now,
        "jti": jti,
        "client_id": client_id,
        "scope": " ".join(request.scopes or []),
    }
    token = jwt.JWT(header={"alg": ALGORITHM, "typ": ACCESS_TOKEN_TYPE, "kid": key_id()}, claims=claims)
    token.make_signed_token(signing_key())
    return token.serialize()


def looks_like_access_token(raw: str) -> bool:
    """Is ``raw`` a JWT whose header says it is one of our access tokens (no signature checked yet)?"""
    if raw.count(".") != 2:
        return False
    # Every session JWT of every request passes here first: its header segment alone is decoded (PyJWT's
    # get_unverified_header checks and decodes all three segments, character by character; jwcrypto's JWS object
    # costs several times more). The signature is checked by ``access_token_claims``.
    segment = raw.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, RecursionError):  # not base64 (binascii.Error), UTF-8 or JSON; JSON nested too deep
        return False
    return isinstance(header, dict) and header.get("typ") == ACCESS_TOKEN_TYPE


def same_origin(url: str, iss: str) -> bool:
    a, b = urlsplit(url), urlsplit(iss)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def access_token_claims(raw: str, *, iss: str) -> dict:
    """Check the signature, the type, exp/nbf, the issuer and that the audience is on this server."""
    try:
        token = jwt.JWT(jwt=raw, key=signing_key(), algs=[ALGORITHM], check_claims={"iss": iss, "exp": None})
        header = json.loads(token.header)
        claims = json.loads(token.claims)
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc
    if header.get("typ") != ACCESS_TOKEN_TYPE:
        raise InvalidAccessToken("not an access token")
    audience = claims.get("aud")
    audience = [audience] if isinstance(audience, str) else audience
    if not isinstance(audience, list) or not any(isinstance(a, str) and same_origin(a, iss) for a in audience):
        raise InvalidAccessToken("the token is for another audience")
    return claims
