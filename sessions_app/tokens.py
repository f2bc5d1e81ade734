"""simplejwt tokens bound to a ``UserSession`` through the ``sid`` claim."""

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

SESSION_CLAIM = "sid"


def issue_token_pair(session) -> dict:
    """A fresh refresh token whose jti the session records, and an access token for the same session."""
    refresh = RefreshToken.for_user(session.user)
    refresh[SESSION_CLAIM] = str(session.id)
    access = AccessToken.for_user(session.user)
    access[SESSION_CLAIM] = str(session.id)
    return {"refresh": refresh, "access": access}


def session_id_of(token) -> str | None:
    return token.get(SESSION_CLAIM)
