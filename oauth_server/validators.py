"""django-oauth-toolkit's validator and oauthlib's server, with this project's rules.

- PKCE: required for every client (PKCE_REQUIRED) and S256 only: ``plain``, or no method (which
  RFC 7636 reads as plain), is refused at the authorization request.
- Authorization codes are single use: the first exchange marks the code used (one conditional UPDATE,
  so two racing exchanges cannot both win); a second exchange is an incident that revokes every token
  issued from that code (RFC 6749 section 4.1.2) and is audited OAUTH_CODE_REUSED.
- Codes and tokens point at the person's consent (``OAuthGrant``); a revoked consent ends its codes,
  tokens and refreshes.
- client_credentials: confidential clients only; such a token acts for no person.
"""

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, set_token_value
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

from oauth_server import services
from oauth_server.models import AccessToken, Grant, RefreshToken


class OAuthServer(Server):
    """oauthlib's OpenID Connect server, knowing only the S256 PKCE method."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        s256_only = {"S256": code_challenge_method_s256}
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target, self.openid_connect_hybrid.proxy_target):
            grant._code_challenge_methods = s256_only


def _request_oauth_grant_id(request):
    code = getattr(request, "authorization_code_row", None)
    return code.oauth_grant_id if code is not None else None


class OAuthServerValidator(OAuth2Validator):
    # --- Authorization codes ---------------------------------------------------------------------

    def _create_authorization_code(self, request, code, expires=None):
        """After oauthlib validated the request and the person approved: record their consent, then the
        code that points at it."""
        consent = getattr(request, "consent", None)
        oauth_grant = None
        if consent is not None:
            oauth_grant = services.oauth_grant_consent(
                user=request.user,
                application=request.client,
                scopes=list(request.scopes),
                organization_ids=consent.organization_ids,
                request=consent.http_request,
            )
        row = super()._create_authorization_code(request, code, expires=expires)
        if oauth_grant is not None:
            row.oauth_grant = oauth_grant
            row.save(update_fields=["oauth_grant"])
        return row

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        row = Grant.objects.select_related("oauth_grant", "user").filter(code=code, application=client).first()
        if row is None:
            return False
        claimed = Grant.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not claimed:
            services.authorization_code_reused(code_row=row, request=self.build_http_request(request))
            return False
        if row.oauth_grant is None or not row.oauth_grant.is_active or not row.user.is_active:
            return False
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        request.authorization_code_row = row
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """The code was marked used when it was validated; its row stays, to recognise a reuse."""

    # --- Grant types -------------------------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if grant_type == "client_credentials" and client.client_type != AbstractApplication.CLIENT_CONFIDENTIAL:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        row = request.refresh_token_instance
        grant = row.oauth_grant
        return grant is not None and grant.is_active and row.user.is_active

    # --- Tokens ------------------------------------------------------------------------------

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        id_token = token.get("id_token", None)
        if id_token:
            id_token = self._load_id_token(id_token)
        if source_refresh_token is not None:
            oauth_grant_id = source_refresh_token.oauth_grant_id
            code_id = source_refresh_token.authorization_code_id
        else:
            oauth_grant_id = _request_oauth_grant_id(request)
            code_row = getattr(request, "authorization_code_row", None)
            code_id = code_row.pk if code_row is not None else None
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
            oauth_grant_id=oauth_grant_id,
            authorization_code_id=code_id,
            jti=getattr(request, "access_token_jti", ""),
        )
        set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        with transaction.atomic():
            row = super()._create_refresh_token(request, refresh_token_code, access_token, previous_refresh_token)
            RefreshToken.objects.filter(pk=row.pk).update(
                oauth_grant_id=access_token.oauth_grant_id, authorization_code_id=access_token.authorization_code_id
            )
        row.oauth_grant_id = access_token.oauth_grant_id
        row.authorization_code_id = access_token.authorization_code_id
        return row
