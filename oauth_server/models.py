"""The authorization server's rows: django-oauth-toolkit's models, swapped in here so that every code and
token points at the person's consent (``OAuthGrant``), and that consent itself.

- ``OAuthGrant``: one person's consent to one client: the scopes and the organizations it covers.
  Revoking it ends every token issued under it at once (the API checks the token's row and its grant on
  every request).
- ``Grant``: an authorization code (DOT's name). Kept after its exchange with ``used_at`` set, so a second
  exchange is recognised as the incident it is and the tokens issued from the code are revoked.
- ``AccessToken`` / ``RefreshToken``: stored as their SHA-256 only (RFC 9700 token storage); an access
  token's row is what the API checks, its JWT only carries the claims.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from oauth_server.redirects import redirect_uri_check


class Application(AbstractApplication):
    """A client: registered by staff in the admin (confidential or public) or by itself (RFC 7591, public)."""

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = "application"

    def clean(self):
        super().clean()
        try:
            for uri in self.redirect_uris.split():
                redirect_uri_check(uri)
        except ValidationError as exc:
            raise ValidationError({"redirect_uris": exc.messages}) from exc


class OAuthGrant(models.Model):
    """A person's consent to a client: which scopes, in which of their organizations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_grants")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="oauth_grants")
    scopes = models.JSONField(default=list, help_text="The scope names the person granted.")
    organizations = models.ManyToManyField("organizations.Organization", blank=True, related_name="oauth_grants")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "OAuth grant"
        constraints = [
            # One live consent per person and client; consenting again updates it.
            models.UniqueConstraint(
                fields=["user", "application"],
                condition=models.Q(revoked_at__isnull=True),
                name="oauth_grant_one_live_per_client",
            )
        ]

    def __str__(self):
        return f"OAuth grant {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Grant(AbstractGrant):
    """An authorization code: single use, 10 minutes (AUTHORIZATION_CODE_EXPIRE_SECONDS)."""

    oauth_grant = models.ForeignKey(OAuthGrant, null=True, blank=True, on_delete=models.CASCADE, related_name="codes")
    used_at = models.DateTimeField(null=True, blank=True, help_text="When the code was exchanged for tokens.")

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"
        verbose_name = "authorization code"

    def __str__(self):
        return f"Authorization code #{self.pk}"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"
        verbose_name = "ID token"


class AccessToken(AbstractAccessToken):
    """An access token's row: its JWT's SHA-256 (``token_checksum``) and its ``jti``; deleted when revoked."""

    oauth_grant = models.ForeignKey(
        OAuthGrant, null=True, blank=True, on_delete=models.CASCADE, related_name="access_tokens"
    )
    authorization_code = models.ForeignKey(
        Grant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_tokens",
        help_text="The code the first token of this family was issued for.",
    )
    jti = models.CharField(max_length=64, blank=True, db_index=True)
    # Blank at rest: only token_checksum is stored (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE).
    token = models.TextField(blank=True, verbose_name="token")

    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"
        verbose_name = "access token"


class RefreshToken(AbstractRefreshToken):
    """A refresh token's row: its SHA-256 only; rotated on every use, a reused one revokes its family."""

    oauth_grant = models.ForeignKey(
        OAuthGrant, null=True, blank=True, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    authorization_code = models.ForeignKey(
        Grant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refresh_tokens",
        help_text="The code the first token of this family was issued for.",
    )
    # Blank at rest: only token_checksum is stored (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE).
    token = models.TextField(blank=True, verbose_name="token")
    revoked = models.DateTimeField(null=True, blank=True, verbose_name="revoked")

    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"
        verbose_name = "refresh token"
