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

    def authenticate(self, request):
        header = self.get_header(request)
        raw_token = None if header is None else self.get_raw_token(header)
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        sid = session_id_of(token)
        state_key = session_state.key_of(sid)
        # One round trip to the cache: the user, what the request reads of them next, and the session's state.
        user, found = person_cache.user(self._user_id(token), extra_keys=[state_key] if state_key else [])
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        failure = session_state.check(sid, user.pk, **({"state": found[state_key]} if state_key in found else {}))
        if failure:
            raise AuthenticationFailed(self.messages[failure], code=failure)
        request.session_id = sid
        return user, token

    @staticmethod
    def _user_id(token):
        try:
            return uuid.UUID(str(token[api_settings.USER_ID_CLAIM]))
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        except ValueError as exc:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from exc


class SessionJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "sessions_app.authentication.SessionJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
