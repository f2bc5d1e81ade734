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
        REAUTHENTICATED = "reauthenticated", "Identity confirmed again"
        # Email verification and change.
        EMAIL_VERIFICATION_SENT = "email_verification_sent", "Verification email sent"
        EMAIL_VERIFIED = "email_verified", "Email verified"
        EMAIL_CHANGE_REQUESTED = "email_change_requested", "Email change requested"
        EMAIL_CHANGED = "email_changed", "Email changed"
        # Single sign-on.
        IDENTITY_LINKED = "identity_linked", "Sign-in identity linked"
        IDENTITY_UNLINKED = "identity_unlinked", "Sign-in identity removed"
        SSO_LOGIN_FAILED = "sso_login_failed", "Single sign-on failed"
        # Second factor.
        MFA_ENABLED = "mfa_enabled", "Second factor turned on"
        MFA_DISABLED = "mfa_disabled", "Second factor turned off"
        MFA_RESET_BY_ADMIN = "mfa_reset_by_admin", "Second factor reset by an administrator"
        MFA_FAILED = "mfa_failed", "Second factor code rejected"
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", "Recovery codes generated"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        # The account itself.
        ACCOUNT_DELETION_REQUESTED = "account_deletion_requested", "Account deletion requested"
        ACCOUNT_ANONYMISED = "account_anonymised", "Account anonymised"
        DATA_EXPORT_REQUESTED = "data_export_requested", "Data export requested"
        # Programs acting for the person: personal access tokens and OAuth grants.
        TOKEN_CREATED = "token_created", "Personal access token created"
        TOKEN_REVOKED = "token_revoked", "Personal access token revoked"
        TOKEN_USED = "token_used", "Personal access token used"
        OAUTH_CLIENT_REGISTERED = "oauth_client_registered", "Application registered"
        OAUTH_CONSENT_GRANTED = "oauth_consent_granted", "Application authorized"
        OAUTH_GRANT_REVOKED = "oauth_grant_revoked", "Application authorization revoked"
        OAUTH_CODE_REUSED = "oauth_code_reused", "Authorization code reused: its tokens revoked"

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
    # What else the event names, shown to the person: {"provider": "google"}, {"method": "totp"}, ...
    # Never a secret, a code or a token.
    data = models.JSONField(default=dict, blank=True)
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
