"""Writes of second factors: TOTP enrolment, recovery codes, sign-in challenges and checking codes.

The TOTP itself is django-otp's ``TOTPDevice``: RFC 6238 with one step of tolerance either side
and drift tracking, ``last_t`` so that a code verified once is refused for the rest of its window,
and an exponential back-off after wrong codes (``ThrottlingMixin``). A device is always loaded
``select_for_update`` before a code is checked, so two concurrent requests cannot both use one code.

This app does not open sessions: ``sessions_app.services.sign_in`` asks it for a challenge and, once
``mfa_challenge_complete`` says the second factor is proved, opens the session itself.
"""

import hashlib
import re
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Conflict, NotAuthenticated, TooManyAttempts
from config.request_meta import client_ip, user_agent
from config.secret_keys import digest_matches, keyed_digest, keyed_digests
from mfa import selectors
from mfa.models import MfaChallenge, RecoveryCode
from mfa.selectors import RECOVERY_CODE, TOTP

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code is read off paper. 31 symbols, 10 of them: about 49 bits per code.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
TOTP_DEVICE_NAME = "Authenticator app"


class MfaTokenInvalid(NotAuthenticated):
    default_code = "mfa_token_invalid"
    default_message = "This sign-in has ended or was never started; sign in again."


class MfaTokenExpired(NotAuthenticated):
    default_code = "mfa_token_expired"
    default_message = "This sign-in took too long; sign in again."


class InvalidCode(NotAuthenticated):
    default_code = "invalid_code"
    default_message = "The code is incorrect, or was already used."


def _mfa_not_enabled() -> Conflict:
    return Conflict("Two-factor sign-in is not on for this account.", code="mfa_not_enabled")


def _mfa_already_enabled() -> Conflict:
    return Conflict("Two-factor sign-in is already on; turn it off first to enrol again.", code="mfa_already_enabled")


# --- Checking codes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    retry_after: float | None = None  # set when the back-off refused to check the code at all

    def raise_if_throttled(self) -> None:
        if self.retry_after is not None:
            raise TooManyAttempts("Too many wrong codes; wait before the next try.", wait=self.retry_after)


def _throttled(device: TOTPDevice) -> Verification | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
    return Verification(ok=False, retry_after=wait)


def _totp_verify(device: TOTPDevice, code: str) -> Verification:
    """Check a TOTP code on a device locked by the caller; failures count towards its back-off."""
    throttled = _throttled(device)
    if throttled:
        return throttled
    digits = re.sub(r"\s", "", code)
    if not (digits.isascii() and digits.isdigit() and len(digits) == device.digits):
        device.throttle_increment(commit=True)
        return Verification(ok=False)
    return Verification(ok=device.verify_token(digits))


def _recovery_code_normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


RECOVERY_CODE_SALT = "mfa.recovery_code"


def _recovery_code_message(*, user, code: str) -> str:
    return f"{user.pk}:{_recovery_code_normalise(code)}"


def _recovery_code_hash(*, user, code: str) -> str:
    """HMAC-SHA256 under the project's secret key, bound to the person: the codes are random and long
    enough that a slow password hash buys nothing, and a leaked table alone does not give them away.
    Checked under the fallback keys too (``config.secret_keys``), so a key rotation keeps them working."""
    return keyed_digest(RECOVERY_CODE_SALT, _recovery_code_message(user=user, code=code))


def _recovery_code_use(*, user, device: TOTPDevice, code: str) -> Verification:
    """Spend one unused recovery code; wrong codes count towards the TOTP device's back-off, so
    guessing recovery codes is no cheaper than guessing TOTP codes."""
    throttled = _throttled(device)
    if throttled:
        return throttled
    digests = keyed_digests(RECOVERY_CODE_SALT, _recovery_code_message(user=user, code=code))
    match = None
    for row in RecoveryCode.objects.filter(user=user, used_at__isnull=True).only("pk", "code_hash"):
        if digest_matches(row.code_hash, digests):  # every row compared: no early exit
            match = row
    used = (
        match is not None
        and RecoveryCode.objects.filter(pk=match.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
    )
    if used:
        device.throttle_reset(commit=True)
    else:
        device.throttle_increment(commit=True)
    return Verification(ok=used)


def _recovery_codes_replace(*, user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_code_hash(user=user, code=code)) for code in codes
    )
    return codes


def _locked_device(*, user, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.select_for_update().filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-pk").first()


# --- Enrolment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpEnrolment:
    """What an authenticator app needs: the secret (base32), its ``otpauth://`` URI and that URI as a QR code."""

    secret: str
    uri: str
    qr_svg: str  # a data: URI of an SVG image


@transaction.atomic
def totp_enrol_start(*, user, request=None) -> TotpEnrolment:
    """Create an unconfirmed TOTP device (replacing an earlier unconfirmed one); it signs nobody in
    until ``totp_enrol_confirm`` proves the app holds its secret."""
    if selectors.user_has_second_factor(user=user):
        raise _mfa_already_enabled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    uri = device.config_url  # otpauth://totp/<issuer>:<email>?secret=...&issuer=<issuer> (OTP_TOTP_ISSUER)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return TotpEnrolment(secret=secret, uri=uri, qr_svg=segno.make(uri, error="m").svg_data_uri(scale=4))


def totp_enrol_confirm(*, user, code: str, request=None) -> list[str]:
    """Confirm the device with a code from the app: two-factor sign-in is on. Answers the ten recovery
    codes, in clear this once only."""
    with transaction.atomic():
        device = _locked_device(user=user, confirmed=None)
        if device is None:
            raise Conflict("Start the enrolment first: POST /users/me/mfa/totp.", code="totp_enrolment_not_started")
        if device.confirmed:
            raise _mfa_already_enabled()
        verification = _totp_verify(device, code)
        if verification.ok:
            # The device counts from its confirmation: that is when two-factor sign-in went on.
            device.confirmed = True
            device.created_at = timezone.now()
            device.save(update_fields=["confirmed", "created_at"])
            codes = _recovery_codes_replace(user=user)
            audit_record(kind=AuditEvent.Kind.MFA_ENABLED, request=request, user=user, data={"factor": TOTP})
            audit_record(
                kind=AuditEvent.Kind.RECOVERY_CODES_GENERATED, request=request, user=user, data={"count": len(codes)}
            )
            return codes
    verification.raise_if_throttled()
    audit_record(kind=AuditEvent.Kind.MFA_FAILED, request=request, user=user, data={"purpose": "enrolment"})
    raise ValidationError({"code": ValidationError("The code is incorrect.", code="invalid_code")})


@transaction.atomic
def totp_disable(*, user, request=None) -> None:
    """Turn the authenticator app off; with no factor left the recovery codes go too."""
    if not selectors.user_has_second_factor(user=user):
        raise _mfa_not_enabled()
    TOTPDevice.objects.filter(user=user).delete()
    if not selectors.user_has_second_factor(user=user):
        RecoveryCode.objects.filter(user=user).delete()
        MfaChallenge.objects.filter(user=user).delete()
    audit_record(kind=AuditEvent.Kind.MFA_DISABLED, request=request, user=user, data={"factor": TOTP})


@transaction.atomic
def recovery_codes_regenerate(*, user, request=None) -> list[str]:
    """Ten new recovery codes; the earlier ones stop working."""
    if not selectors.user_has_second_factor(user=user):
        raise _mfa_not_enabled()
    codes = _recovery_codes_replace(user=user)
    audit_record(kind=AuditEvent.Kind.RECOVERY_CODES_GENERATED, request=request, user=user, data={"count": len(codes)})
    return codes


def mfa_erase(*, user) -> bool:
    """Remove every second factor of ``user``, their recovery codes and waiting sign-ins; whether
    there was any factor or code."""
    had_any = TOTPDevice.objects.filter(user=user).exists() or RecoveryCode.objects.filter(user=user).exists()
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    MfaChallenge.objects.filter(user=user).delete()
    return had_any


@transaction.atomic
def mfa_reset_by_admin(*, user, admin, request=None) -> bool:
    """Staff remove every second factor of a person who lost theirs. Their sessions stay; they sign
    in with the password alone next time and may enrol again. False when there was nothing to reset."""
    had_any = mfa_erase(user=user)
    if had_any:
        audit_record(kind=AuditEvent.Kind.MFA_RESET_BY_ADMIN, request=request, user=user, actor=admin)
    return had_any


# --- Re-authentication ---------------------------------------------------------------------------


def mfa_reauthentication_check(*, user, code: str, request=None) -> str:
    """Prove it is the person again with a TOTP code (for accounts without a password too); answers the
    method, or raises a 400 on ``code`` (the caller's tokens are good: not a 401)."""
    with transaction.atomic():
        device = _locked_device(user=user)
        verification = _totp_verify(device, code) if device is not None else None
    if verification is None:
        raise ValidationError({"code": ValidationError(_mfa_not_enabled().message, code="mfa_not_enabled")})
    if verification.ok:
        return TOTP
    verification.raise_if_throttled()
    audit_record(
        kind=AuditEvent.Kind.MFA_FAILED, request=request, user=user, data={"method": TOTP, "reauthentication": True}
    )
    raise ValidationError({"code": ValidationError("The code is incorrect, or was already used.", code="invalid")})


# --- Sign-in challenges --------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class MfaChallengeIssued:
    """What ``/auth/login`` answers instead of a session when the account has a second factor."""

    token: str
    expires_in: int
    methods: list[str]

    @property
    def mfa_required(self) -> bool:
        return True


@transaction.atomic
def mfa_challenge_create(*, user, method: str, device_name: str = "", request=None) -> MfaChallengeIssued:
    """The first factor (``method``: password, google...) is proved: start waiting for the second."""
    now = timezone.now()
    MfaChallenge.objects.filter(user=user, expires_at__lt=now).delete()  # keeps each person's rows few
    token = secrets.token_urlsafe(32)
    MfaChallenge.objects.create(
        user=user,
        token_hash=_token_hash(token),
        method=method,
        device_name=device_name,
        user_agent=user_agent(request) if request is not None else "",
        ip=client_ip(request) if request is not None else None,
        expires_at=now + timedelta(seconds=settings.MFA_TOKEN_SECONDS),
    )
    methods = selectors.mfa_methods(user=user)
    return MfaChallengeIssued(token=token, expires_in=settings.MFA_TOKEN_SECONDS, methods=methods)


def mfa_challenge_limit_key(*, token: str) -> str:
    """What the per-account limit of ``/auth/login/mfa`` counts: the person the token names (every
    token of one person shares a count), else the token itself."""
    user_id = MfaChallenge.objects.filter(token_hash=_token_hash(token)).values_list("user_id", flat=True).first()
    return f"user:{user_id}" if user_id else f"mfa-token:{_token_hash(token)[:32]}"


def mfa_challenge_end_all(*, user) -> int:
    """Spend every sign-in of ``user`` waiting for a code (the password changed, the account was disabled)."""
    return MfaChallenge.objects.filter(user=user).delete()[0]


@dataclass(frozen=True)
class SecondFactorProof:
    """A challenge completed: who signed in, how (the first factor), on which device, with which second factor."""

    user: object
    method: str
    device_name: str
    factor: str


def _challenge_problem(challenge: MfaChallenge | None, request, now) -> Exception | None:
    if challenge is None or challenge.used_at is not None:
        return MfaTokenInvalid()
    if challenge.expires_at <= now:
        return MfaTokenExpired()
    # Bound to the client that proved the first factor: the same software sends both requests. Not to
    # its address, which a phone changes between networks (docs/identity.md, "Second factor").
    if request is not None and challenge.user_agent != user_agent(request):
        return MfaTokenInvalid()
    if not challenge.user.is_active:
        return NotAuthenticated("This account is disabled.", code="user_inactive")
    return None


def _factor_of(code: str, factor: str | None) -> str:
    if factor:
        return factor
    return TOTP if re.sub(r"\s", "", code).isdigit() else RECOVERY_CODE


def mfa_challenge_complete(*, token: str, code: str, factor: str | None = None, request=None) -> SecondFactorProof:
    """Check the second factor of a waiting sign-in. Success spends the token (single use); a wrong code
    counts, and ``MFA_TOKEN_MAX_ATTEMPTS`` of them spend it too. Raises 401s with the reason's code."""
    now = timezone.now()
    factor = _factor_of(code, factor)
    with transaction.atomic():
        challenge = (
            MfaChallenge.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        problem = _challenge_problem(challenge, request, now)
        device = _locked_device(user=challenge.user) if problem is None else None
        if problem is None and device is None:  # the factor was turned off or reset meanwhile
            problem = MfaTokenInvalid()
        if problem is None:
            if factor == RECOVERY_CODE:
                verification = _recovery_code_use(user=challenge.user, device=device, code=code)
            else:
                verification = _totp_verify(device, code)
            if verification.ok:
                challenge.used_at = now
            elif verification.retry_after is None:
                challenge.failed_attempts += 1
                if challenge.failed_attempts >= settings.MFA_TOKEN_MAX_ATTEMPTS:
                    challenge.used_at = now  # spent: sign in again
            challenge.save(update_fields=["used_at", "failed_attempts"])
    if problem is not None:
        raise problem
    user = challenge.user
    if not verification.ok:
        verification.raise_if_throttled()
        audit_record(
            kind=AuditEvent.Kind.MFA_FAILED,
            request=request,
            user=user,
            data={"method": factor, "sign_in_method": challenge.method, "attempt": challenge.failed_attempts},
        )
        raise InvalidCode()
    if factor == RECOVERY_CODE:
        audit_record(
            kind=AuditEvent.Kind.RECOVERY_CODE_USED,
            request=request,
            user=user,
            data={"remaining": selectors.recovery_codes_remaining(user=user)},
        )
    return SecondFactorProof(user=user, method=challenge.method, device_name=challenge.device_name, factor=factor)
