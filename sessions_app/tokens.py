"""simplejwt tokens bound to a ``UserSession`` through the ``sid`` claim, checked under the signing key
and its fallbacks."""

import datetime
import threading
import time
from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import state
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


@cache
def _fallback_backend(key: str) -> TokenBackend:
    """simplejwt's backend with a previous key: it only ever checks (a token is signed with the current key)."""
    return TokenBackend(
        api_settings.ALGORITHM,
        key,
        None,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        None,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
    )


# Tokens this process verified, with their claims, by (token, the keys that verified it): at most this many.
VERIFIED_TOKENS_KEPT = 4096
_verified: dict[tuple, dict] = {}
_verified_lock = threading.Lock()


def _now() -> float:
    """The clock PyJWT reads an expiry against."""
    return datetime.datetime.now(datetime.UTC).timestamp()


def _keys() -> tuple:
    """Everything a token's check depends on besides the clock: a key rotation or a new setting misses."""
    backend = state.token_backend
    return (
        backend.algorithm,
        backend.signing_key,
        backend.verifying_key,
        backend.audience,
        backend.issuer,
        tuple(settings.JWT_SIGNING_KEY_FALLBACKS),
    )


class RotatingKeys:
    """simplejwt's token backend, which knows one key, with the previous keys of a rotation
    (``JWT_SIGNING_KEY_FALLBACKS``) still accepted when checking.

    Tokens are signed with the current key only. A token the current key does not verify is tried
    under each fallback key, so tokens signed before a rotation keep working until they expire (or the
    operator drops the key): nobody is signed out by a rotation. An expired token is expired whatever
    key signed it. simplejwt has no setting for its backend, so our token classes carry this one.

    A token this process verified before, under the same keys and settings, is not verified again: every
    request carries the same access token for its five minutes, and PyJWT's check (each segment read
    character by character, the HMAC key vetted as JSON and PEM, the signature) was a twentieth of a request's
    fixed cost (issue 16, docs/performance.md). Only its expiry changes with time, and it is checked on every
    use as PyJWT checks it (``exp`` past, less the leeway: the same error); ``nbf`` and ``iat`` only ever
    become truer. Whether the token's session still stands is checked on every request, elsewhere
    (``sessions_app.session_state``). At most ``VERIFIED_TOKENS_KEPT`` are kept, the oldest dropped first.
    """

    def __getattr__(self, name):
        # encode, get_leeway and the rest: the current key's backend, which simplejwt builds once.
        return getattr(state.token_backend, name)

    def decode(self, token, verify: bool = True) -> dict:
        if not verify:
            return self._decode(token, verify=False)
        key = (token, _keys())
        claims = _verified.get(key)
        if claims is None:
            claims = self._decode(token, verify=True)
            if isinstance(claims.get("exp"), int | float):
                with _verified_lock:
                    while len(_verified) >= VERIFIED_TOKENS_KEPT:
                        del _verified[next(iter(_verified))]
                    _verified[key] = claims
        elif int(claims["exp"]) <= _now() - state.token_backend.get_leeway().total_seconds():
            raise TokenBackendExpiredToken(_("Token is expired"))
        return dict(claims)  # the caller's own: a Token may change its payload

    def _decode(self, token, verify: bool) -> dict:
        try:
            return state.token_backend.decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise
        except TokenBackendError as exc:
            failure = exc
        for key in settings.JWT_SIGNING_KEY_FALLBACKS:
            try:
                return _fallback_backend(key).decode(token, verify=verify)
            except TokenBackendExpiredToken:
                raise
            except TokenBackendError:
                continue
        raise failure


class SessionAccessToken(AccessToken):
    _token_backend = RotatingKeys()


class SessionRefreshToken(RefreshToken):
    _token_backend = RotatingKeys()
    access_token_class = SessionAccessToken


SESSION_CLAIM = "sid"
# When the session last proved its person's identity (OIDC's claim name): config.reauth reads it.
AUTH_TIME_CLAIM = "auth_time"


def issue_token_pair(session) -> dict:
    """A fresh refresh token whose jti the session records, and an access token for the same session."""
    refresh = SessionRefreshToken.for_user(session.user)
    refresh[SESSION_CLAIM] = str(session.id)
    access = SessionAccessToken.for_user(session.user)
    access[SESSION_CLAIM] = str(session.id)
    access[AUTH_TIME_CLAIM] = int(session.authenticated_at.timestamp())
    return {"refresh": refresh, "access": access}


def token_pair_body(tokens: dict) -> dict:
    """The token pair as the API answers it, with each token's remaining lifetime in seconds, so a
    frontend refreshes before expiry without decoding the JWT."""
    now = int(time.time())
    return {
        "access": str(tokens["access"]),
        "refresh": str(tokens["refresh"]),
        "access_expires_in": max(int(tokens["access"]["exp"]) - now, 0),
        "refresh_expires_in": max(int(tokens["refresh"]["exp"]) - now, 0),
    }


def session_id_of(token) -> str | None:
    return token.get(SESSION_CLAIM)
