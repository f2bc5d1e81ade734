"""Second factors: recovery codes and sign-in challenges. TOTP devices are django-otp's ``TOTPDevice``.

Recovery codes are ours rather than django-otp's static tokens, which are stored in clear: here only
an HMAC of each code is kept (docs/identity.md, "Second factor").
"""

import uuid

from django.conf import settings
from django.db import models

from accounts.models import User


class RecoveryCode(models.Model):
    """One single-use recovery code of a person; ``code_hash`` is an HMAC-SHA256 of the code, never the code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["user", "used_at"], name="mfa_recoverycode_user_used")]

    def __str__(self):
        return f"Recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"


class MfaChallenge(models.Model):
    """A sign-in that proved its first factor and waits for the second: what an ``mfa_token`` names.

    Only a hash of the token is stored. It is bound to the person, the way they signed in
    (``method``), the device name they gave and the client's user agent; it lives
    ``MFA_TOKEN_SECONDS``, is spent by one success or ``MFA_TOKEN_MAX_ATTEMPTS`` wrong codes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_challenges")
    token_hash = models.CharField(max_length=64, unique=True)
    method = models.CharField(max_length=40, help_text="How the first factor was proved: password, google...")
    device_name = models.CharField(max_length=120, blank=True)
    user_agent = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="mfa_challenge_expires")]

    def __str__(self):
        return f"Sign-in challenge of {self.user_id} ({self.method})"


class SecondFactorUser(User):
    """A person seen from their second factors: what the admin's "Second factors" page lists."""

    class Meta:
        proxy = True
        verbose_name = "person's second factors"
        verbose_name_plural = "second factors"
