from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """An append-only record of a security-relevant event."""

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
        LOGIN_FAILED = "login_failed", "Login failed"
        LOGOUT = "logout", "Logout"
        LOGOUT_ALL = "logout_all", "Logout everywhere"
        REFRESH_REUSE = "refresh_reuse", "Refresh token reuse"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        SESSION_REVOKED = "session_revoked", "Session revoked by its owner"
        SESSION_REVOKED_BY_ADMIN = "session_revoked_by_admin", "Session revoked by an administrator"
        USER_DEACTIVATED = "user_deactivated", "User deactivated"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who acted, when not the user themself (an administrator).",
    )
    session_id = models.UUIDField(null=True, blank=True)
    identifier = models.CharField(max_length=254, blank=True, help_text="The email or username tried, on failures.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="audit_user_created_idx"),
            models.Index(fields=["kind", "-created_at"], name="audit_kind_created_idx"),
            models.Index(fields=["-created_at"], name="audit_created_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.identifier or self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
