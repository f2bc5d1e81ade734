import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RevokeReason(models.TextChoices):
    LOGOUT = "logout", "Signed out"
    LOGOUT_ALL = "logout_all", "Signed out everywhere"
    PASSWORD_CHANGE = "password_change", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"
    REFRESH_REUSE = "refresh_reuse", "Refresh token reused"
    REVOKED_BY_USER = "revoked_by_user", "Revoked by its owner"
    REVOKED_BY_ADMIN = "revoked_by_admin", "Revoked by an administrator"


class UserSessionQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def inactive(self, now=None):
        return self.filter(Q(revoked_at__isnull=False) | Q(expires_at__lte=now or timezone.now()))


class UserSession(models.Model):
    """One signed-in device. Both JWTs carry its id (``sid``); revoking it ends both at once.

    ``refresh_jti`` is the id of the only refresh token that may be exchanged next: rotation
    swaps it atomically, so a rotated token presented again is detected as reuse.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    device_name = models.CharField(max_length=120, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    refresh_jti = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # When the person last proved who they are on this device (signing in, or confirming again with
    # POST /auth/reauthenticate); sensitive changes need it to be recent. Access tokens carry it as
    # ``auth_time``.
    authenticated_at = models.DateTimeField(default=timezone.now)
    # How the session was opened: "password", "password+totp", "oidc", "google+recovery_code", ...
    sign_in_method = models.CharField(max_length=64, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, choices=RevokeReason.choices, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="session_user_created_idx"),
            models.Index(fields=["expires_at"], name="session_expires_idx"),
            models.Index(fields=["ip"], name="session_ip_idx"),
            models.Index(fields=["-created_at"], name="session_created_idx"),
        ]

    def __str__(self):
        return f"{self.device_name or 'Unknown device'} ({self.user_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
