import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Provider(models.TextChoices):
    """The identity providers, by the name they have in URLs (``/oauth/authorize/{provider}``)."""

    OIDC = "oidc", "OpenID Connect"
    GOOGLE = "google", "Google"
    GITHUB = "github", "GitHub"


class SocialIdentity(models.Model):
    """A person's account at an identity provider, linked to one of ours: signing in there signs them in here.

    ``subject`` is the provider's stable id of the person (OIDC ``sub``, GitHub's numeric user id),
    never their email, which can change hands. ``email`` is what the provider last asserted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="social_identities")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    subject = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    email_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "social identities"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_provider_subject_unique"),
        ]

    def __str__(self):
        return f"{self.get_provider_display()}: {self.email or self.subject}"


class SSOAttempt(models.Model):
    """One trip to a provider, from ``GET /oauth/authorize`` to its callback: what the callback must check.

    Only hashes of the ``state`` (the lookup key, also in the provider's URL) and of the browser
    binding (the ``sso_binding`` cookie) are kept. Single use: ``used_at`` is set by one conditional
    UPDATE before the code is exchanged.
    """

    class Intent(models.TextChoices):
        SIGN_IN = "sign_in", "Sign in"
        LINK = "link", "Link to the signed-in account"
        REAUTHENTICATE = "reauthenticate", "Confirm the signed-in person again"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state_hash = models.CharField(max_length=64, unique=True)
    binding_hash = models.CharField(max_length=64)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    intent = models.CharField(max_length=20, choices=Intent.choices, default=Intent.SIGN_IN)
    # Linking and re-authenticating: who started it, and on which session.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session_id = models.UUIDField(null=True, blank=True)
    redirect_uri = models.URLField(max_length=500)
    # PKCE (RFC 7636): sent to the token endpoint with the code; only its S256 hash went to the provider.
    code_verifier = models.CharField(max_length=128)
    nonce = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SSO attempt"

    def __str__(self):
        return f"{self.provider} {self.intent} at {self.created_at:%Y-%m-%d %H:%M}"
