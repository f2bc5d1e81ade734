import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from config import person_cache
from sessions_app import session_state
from sessions_app.tokens import session_id_of


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt access tokens that stop working as soon as their session is revoked or expires.

    simplejwt checks the signature, expiry and token type (a refresh token is not an access
    token); we add the session check, which reads a cached state (see ``session_state``). The user is
    read from the cache (``config.person_cache``: dropped at once when their row changes) rather than
    one query per request, and rejected when inactive, as simplejwt's ``get_user`` does.
    """

    messages = {
        "session_revoked": _("This session has been signed out."),
        "session_expired": _("This session has expired; sign in again."),
        "session_not_found": _("This token does not belong to a valid session."),
    }

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        try:
            user_id = uuid.UUID(str(user_id))
        except ValueError:
            user_id = None
        user = person_cache.user(user_id) if user_id is not None else None
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        sid = session_id_of(token)
        failure = session_state.check(sid, user.pk) if sid else "session_not_found"
        if failure:
            raise AuthenticationFailed(self.messages[failure], code=failure)
        request.session_id = sid
        return user, token


class SessionJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "sessions_app.authentication.SessionJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
