import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class PersonalAccessToken(models.Model):
    """A token a person makes for a script: named, scoped, limited to organizations, expiring.

    The secret is shown once, at creation; only its SHA-256 (``token_hash``) and its first characters
    (``token_prefix``, to tell tokens apart in lists) are kept (see ``pats.tokens``). It reaches the
    ``organizations`` listed, or, with ``all_organizations``, every organization the person belongs to
    at the time of each request. What it may do there is the intersection of its ``scopes`` and the
    person's current role (``config.credentials``, ``config.permissions.TokenScope``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_access_tokens")
    name = models.CharField(max_length=100)
    token_prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    all_organizations = models.BooleanField(
        default=False, help_text="Reaches every organization the person belongs to, now or later."
    )
    organizations = models.ManyToManyField("organizations.Organization", blank=True, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    # When the last TOKEN_USED audit event was written (at most one an hour, and one per new IP).
    use_audited_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="pats_token_user_created_idx")]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
