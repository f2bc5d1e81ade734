"""ID token checks (``sso.providers.id_token_verify``) on tokens signed in-process by keys made here.

The same cases run against the real provider in test_oidc_provider.py; here each check is pinned
without a process: signature, key id (and one refetch of the JWKS on a miss), algorithm, issuer,
audience, expiry and nonce.
"""

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from sso.errors import SSOError
from sso.providers import id_token_verify

ISSUER = "https://idp.example"
CLIENT = "our-client"
NONCE = "n-0S6_WzA2Mj"


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


KEY = rsa_key("k1")


def sign(key=KEY, alg="RS256", **overrides) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "alice", "iat": now, "exp": now + 300, "nonce": NONCE}
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    header = {"alg": alg, **({"kid": key.kid} if key.kid else {})}
    return jwt.encode(header, claims, key, algorithms=[alg])


class Jwks:
    """A provider's JWKS as the app sees it: what is cached, and what a refetch finds."""

    def __init__(self, *keys, published=None):
        self.cached = KeySet(list(keys))
        self.published = KeySet(list(published or keys))
        self.refetches = 0

    def __call__(self, refresh=False):
        if refresh:
            self.refetches += 1
            self.cached = self.published
        return self.cached


def verify(token, jwks=None, **overrides):
    options = {"issuer": ISSUER, "client_id": CLIENT, "nonce": NONCE, "algorithms": ["RS256"], **overrides}
    return id_token_verify(token, jwks_loader=jwks or Jwks(rsa_public(KEY)), **options)


def rsa_public(key: RSAKey) -> RSAKey:
    return RSAKey.import_key(key.as_dict(private=False))


def reason_of(excinfo) -> tuple[str, str]:
    return excinfo.value.code, excinfo.value.reason


def test_a_good_token_gives_its_claims():
    claims = verify(sign(email="alice@example.com", email_verified=True))
    assert claims["sub"] == "alice"
    assert claims["email"] == "alice@example.com"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://other.example"}, "issuer"),
        ({"aud": "someone-else"}, "audience"),
        ({"aud": ["someone-else", "another"]}, "audience"),
        ({"nonce": "replayed"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"sub": None}, "sub"),
    ],
)
def test_each_claim_is_checked(overrides, reason):
    with pytest.raises(SSOError) as excinfo:
        verify(sign(**overrides))
    assert reason_of(excinfo) == ("invalid_id_token", reason)


def test_a_little_clock_skew_is_tolerated():
    assert verify(sign(exp=int(time.time()) - 30))["sub"] == "alice"


def test_an_audience_list_naming_us_needs_azp_to_be_us():
    assert verify(sign(aud=[CLIENT, "another"], azp=CLIENT))["sub"] == "alice"
    with pytest.raises(SSOError) as excinfo:
        verify(sign(aud=[CLIENT, "another"], azp="another"))
    assert reason_of(excinfo) == ("invalid_id_token", "audience")


def test_a_tampered_payload_fails_the_signature():
    header, payload, signature = sign().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(SSOError) as excinfo:
        verify(f"{header}.{forged}.{signature}")
    assert reason_of(excinfo) == ("invalid_id_token", "signature")


def test_a_token_signed_by_another_key_with_a_known_kid_fails_the_signature():
    impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    with pytest.raises(SSOError) as excinfo:
        verify(sign(key=impostor))
    assert reason_of(excinfo) == ("invalid_id_token", "signature")


def test_an_unknown_key_id_refetches_the_jwks_once_and_follows_a_rotation():
    rotated = rsa_key("k2")
    jwks = Jwks(rsa_public(KEY), published=[rsa_public(rotated)])
    assert verify(sign(key=rotated), jwks=jwks)["sub"] == "alice"
    assert jwks.refetches == 1
    assert verify(sign(key=rotated), jwks=jwks)["sub"] == "alice"
    assert jwks.refetches == 1  # the new keys are kept


def test_a_key_id_missing_after_the_refetch_is_refused():
    jwks = Jwks(rsa_public(KEY))
    with pytest.raises(SSOError) as excinfo:
        verify(sign(key=rsa_key("nowhere")), jwks=jwks)
    assert reason_of(excinfo) == ("invalid_id_token", "unknown_key")
    assert jwks.refetches == 1


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_symmetric_and_unsigned_tokens_are_refused(alg):
    if alg == "none":
        header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
        payload = sign().split(".")[1]
        token = f"{header}.{payload}."
    else:
        token = sign(key=OctKey.import_key("our-client-secret-that-is-long-enough-32b"), alg="HS256")
    with pytest.raises(SSOError) as excinfo:
        verify(token, algorithms=["RS256", "HS256", "none"])
    assert excinfo.value.code == "invalid_id_token"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "a.b.c.d.e"])
def test_garbage_is_refused(token):
    with pytest.raises(SSOError) as excinfo:
        verify(token)
    assert excinfo.value.code == "invalid_id_token"
