from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from sessions_app import session_state
from sessions_app.tokens import session_id_of


class SessionJWTAuthentication(JWTAuthentication):
    """simplejwt access tokens that stop working as soon as their session is revoked or expires.

    simplejwt checks the signature, expiry and token type (a refresh token is not an access
    token); we add the session check, which reads a cached state (see ``session_state``), and
    simplejwt's ``get_user`` rejects inactive users.
    """

    messages = {
        "session_revoked": _("This session has been signed out."),
        "session_expired": _("This session has expired; sign in again."),
        "session_not_found": _("This token does not belong to a valid session."),
    }

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
