from dataclasses import dataclass
from uuid import UUID

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from config.credentials import InvalidToken
from config.request_meta import client_ip
from pats import selectors, services, tokens


@dataclass(frozen=True)
class PersonalAccessTokenCredential:
    """``request.auth`` for a personal access token: a delegated credential (``config.credentials``)."""

    token_id: UUID
    scopes: frozenset[str]
    organization_ids: frozenset[UUID]
    label: str = ""  # the token's name, for the records that say what acted (config.request_context)


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer twp_...``: a personal access token (``pats.tokens`` has the format).

    Listed before the session JWT's class; any bearer token without the ``twp_`` prefix is left to
    it (None). A token with the prefix that is malformed, unknown, revoked or expired, or whose person
    is inactive, answers 401 ``invalid_token`` with ``WWW-Authenticate: Bearer error="invalid_token"``.
    One query finds the token and its person (by the secret's SHA-256), one more its organizations.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer" or not parts[1].startswith(tokens.PREFIX.encode()):
            return None
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise InvalidToken() from None
        if not tokens.is_well_formed(raw):
            raise InvalidToken()
        token = selectors.token_get_for_authentication(token_hash=tokens.token_hash(raw))
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise InvalidToken()
        if token.expires_at <= timezone.now():
            raise InvalidToken("This token has expired.")
        services.token_use_record(token=token, ip=client_ip(request), request=request)
        credential = PersonalAccessTokenCredential(
            token_id=token.pk,
            scopes=frozenset(token.scopes),
            organization_ids=selectors.token_organization_ids(token=token),
            label=token.name,
        )
        return token.user, credential

    def authenticate_header(self, request):
        # The first authentication class's challenge is every 401's: the same as the session JWT's.
        return 'Bearer realm="api"'


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pats.authentication.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (`twp_...`), limited to its scopes and organizations.",
        }
