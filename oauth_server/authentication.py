"""The REST API accepts this server's access tokens (config/credentials.py is the interface).

A bearer token whose JWT header says ``typ: at+jwt`` is ours: its signature, expiry, issuer and audience
are checked, then its row (by SHA-256), its grant and its person, on every request, so a revoked token or
grant, or a deactivated person, gets 401 ``invalid_token`` at once. Any other bearer token is left to the
next class (the session JWTs).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from config.credentials import SCOPES
from oauth_server import tokens
from oauth_server.models import AccessToken


@dataclass(frozen=True)
class OAuthCredential:
    """``request.auth`` for an OAuth access token: what it may do (see config.credentials)."""

    scopes: frozenset
    organization_ids: frozenset
    client_id: str
    grant_id: object
    token_id: int
    label: str = ""  # the application's name, for the records that say what acted (config.request_context)


def _refuse(request, message):
    request._oauth_invalid_token = True
    raise AuthenticationFailed(message, code="invalid_token")


class OAuthAccessTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != self.keyword:
            return None
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not tokens.looks_like_access_token(raw):
            return None
        try:
            claims = tokens.access_token_claims(raw, iss=tokens.issuer(request))
        except tokens.InvalidAccessToken:
            _refuse(request, _("The access token is invalid or has expired."))
        row = (
            AccessToken.objects.select_related("oauth_grant", "user", "application")
            .filter(token_checksum=tokens.token_checksum(raw))
            .first()
        )
        if row is None or row.is_expired() or row.jti != claims.get("jti"):
            _refuse(request, _("The access token has been revoked."))
        grant = row.oauth_grant
        if row.user is None or grant is None:
            _refuse(request, _("This access token acts for no person."))
        if grant.revoked_at is not None:
            _refuse(request, _("The authorization of this application has been revoked."))
        if not row.user.is_active:
            _refuse(request, _("This account is disabled."))
        scopes = frozenset(row.scope.split()) & frozenset(grant.scopes) & frozenset(SCOPES)
        organization_ids = frozenset(grant.organizations.values_list("pk", flat=True))
        credential = OAuthCredential(
            scopes=scopes,
            organization_ids=organization_ids,
            client_id=row.application.client_id,
            grant_id=grant.pk,
            token_id=row.pk,
            label=row.application.name,
        )
        return row.user, credential

    def authenticate_header(self, request):
        if getattr(request, "_oauth_invalid_token", False):
            return 'Bearer realm="api", error="invalid_token"'
        return 'Bearer realm="api"'


class OAuthAccessTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "oauth_server.authentication.OAuthAccessTokenAuthentication"
    name = "oauthAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Access tokens of the authorization server (docs/delegated-access.md).",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/api/v1/oauth/provider/authorize",
                    "tokenUrl": "/api/v1/oauth/provider/token",
                    "refreshUrl": "/api/v1/oauth/provider/token",
                    "scopes": dict(SCOPES),
                }
            },
        }
