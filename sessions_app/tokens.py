"""simplejwt tokens bound to a ``UserSession`` through the ``sid`` claim."""

import time

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

SESSION_CLAIM = "sid"
# When the session last proved its person's identity (OIDC's claim name): config.reauth reads it.
AUTH_TIME_CLAIM = "auth_time"


def issue_token_pair(session) -> dict:
    """A fresh refresh token whose jti the session records, and an access token for the same session."""
    refresh = RefreshToken.for_user(session.user)
    refresh[SESSION_CLAIM] = str(session.id)
    access = AccessToken.for_user(session.user)
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
