"""Reads of second factors: whether a person has one, and what the API and the admin show of them."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Max, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import RecoveryCode

TOTP = "totp"
RECOVERY_CODE = "recovery_code"


def totp_device_get(*, user) -> TOTPDevice | None:
    """The person's confirmed TOTP device (an authenticator app), or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def user_has_second_factor(*, user) -> bool:
    """Does signing in as ``user`` need a second factor: a confirmed TOTP device. Recovery codes are
    a way around a lost factor, not a factor of their own."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_exists(*, user) -> Exists:
    """``user_has_second_factor`` as a condition for a query's WHERE (no query of its own)."""
    return Exists(TOTPDevice.objects.filter(user=user, confirmed=True))


def recovery_codes_remaining(*, user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def mfa_methods(*, user) -> list[str]:
    """The ways ``user`` can prove the second factor now, as the sign-in challenge lists them."""
    methods = []
    if user_has_second_factor(user=user):
        methods.append(TOTP)
        if recovery_codes_remaining(user=user):
            methods.append(RECOVERY_CODE)
    return methods


@dataclass(frozen=True)
class MfaState:
    """What ``GET /users/me/mfa`` answers."""

    enabled: bool
    totp_enabled: bool
    totp_enabled_at: datetime | None
    totp_last_used_at: datetime | None
    recovery_codes_remaining: int
    recovery_codes_generated_at: datetime | None

    @property
    def methods(self) -> list[str]:
        if not self.totp_enabled:
            return []
        return [TOTP, RECOVERY_CODE] if self.recovery_codes_remaining else [TOTP]


def mfa_state_get(*, user) -> MfaState:
    device = totp_device_get(user=user)
    codes = RecoveryCode.objects.filter(user=user).aggregate(
        remaining=Count("pk", filter=Q(used_at__isnull=True)), generated_at=Max("created_at")
    )
    return MfaState(
        enabled=device is not None,
        totp_enabled=device is not None,
        totp_enabled_at=device.created_at if device else None,
        totp_last_used_at=device.last_used_at if device else None,
        recovery_codes_remaining=codes["remaining"] or 0,
        recovery_codes_generated_at=codes["generated_at"],
    )
