"""Writes of the accounts app: users, profiles, passwords and email verification."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import (
    EmailVerification,
    EmailVerificationPurpose,
    User,
    hash_verification_token,
    normalize_email,
)
from accounts.signals import CredentialsChange, credentials_changed
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Conflict, Gone
from config.jobs import enqueue_on_commit
from notifications import emails, webhooks

# The code emailed beside the link, for a mobile client to type.
CODE_DIGITS = 6


def _validate_password(password: str, user: User, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


def _validate_unique(user: User) -> None:
    errors = {}
    others = User.objects.exclude(pk=user.pk)
    if others.filter(email=user.email).exists():
        errors["email"] = ValidationError("A user with this email already exists.", code="email_taken")
    if others.filter(username__iexact=user.username).exists():
        errors["username"] = ValidationError("This username is taken.", code="username_taken")
    if errors:
        raise ValidationError(errors)


def _save_unique(user: User) -> None:
    """Save; a concurrent request that took the email or username first still gets a clean 400."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        _validate_unique(user)
        raise ValidationError("This email or username was just taken.", code="conflict") from exc


@transaction.atomic
def user_create(
    *,
    email: str,
    username: str,
    password: str | None,
    full_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    is_active: bool = True,
    validate_password: bool = False,
    email_verified: bool = False,
) -> User:
    """Create a user; a ``None`` password leaves the account unable to sign in with one.

    ``email_verified``: whoever creates the account vouches for the address (an operator's command);
    otherwise it is unverified until its owner proves it.
    """
    user = User(
        email=normalize_email(email),
        username=username,
        full_name=full_name,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
        is_active=is_active,
        email_verified_at=timezone.now() if email_verified else None,
    )
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _validate_unique(user)
    if password and validate_password:
        _validate_password(password, user)
    user.set_password(password) if password else user.set_unusable_password()
    _save_unique(user)
    return user


@transaction.atomic
def user_register(*, email: str, username: str, password: str, full_name: str = "", request=None, **flags) -> User:
    """Someone signs up (or a superuser makes an account through the API, with ``flags``): the account
    starts unverified and its address is sent a link and a code."""
    user = user_create(
        email=email, username=username, password=password, full_name=full_name, validate_password=True, **flags
    )
    email_verification_start(user=user, purpose=EmailVerificationPurpose.VERIFY, request=request)
    return user


def user_ensure(*, email: str, username: str, password: str, full_name: str = "", **flags) -> tuple[User, bool]:
    """Return the user with this email, creating it if needed. Existing users keep their password.

    An operator's command calls this, so a new account's address is taken as verified. An existing
    account whose address is not verified is never given staff or superuser rights here: whoever
    registered it may not own the address.
    """
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is not None:
        granting = any(flags.get(name) and not getattr(user, name) for name in ("is_staff", "is_superuser"))
        if granting and not user.email_verified:
            raise _invalid(
                "email",
                "An account with this email exists but its address is not verified, so whoever registered it "
                "may not own it; verify the address (or remove that account) first.",
                "email_not_verified",
            )
        changed = [name for name, value in flags.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, flags[name])
        if changed:
            user.save(update_fields=changed)
        return user, False
    user = user_create(
        email=email, username=username, password=password, full_name=full_name, email_verified=True, **flags
    )
    return user, True


PROFILE_FIELDS = ("full_name", "username", "notify_email", "webhook_url", "discord_user_id")


def _email_change_password_check(user: User, new_email: str | None, current_password: str | None) -> None:
    """Asking for a new email needs the current password (cancelling one, or asking again, does not)."""
    if new_email is None or normalize_email(new_email) in (user.email, user.pending_email):
        return
    if not current_password or not user.check_password(current_password):
        raise ValidationError(
            {"current_password": ValidationError("Enter your current password to change your email.", "invalid")}
        )


@transaction.atomic
def user_update_profile(
    *, user: User, current_password: str | None = None, rotate_webhook_secret: bool = False, request=None, **changes
) -> User:
    """Edit one's own profile. Changing the email needs the current password, and only asks for the
    change (``email_change_request``): the email changes once the new address is verified.

    A new webhook URL is checked (scheme, no literal non-public address) and gets a signing secret
    if it has none; removing the URL drops the secret; ``rotate_webhook_secret`` replaces it.
    """
    unknown = set(changes) - {*PROFILE_FIELDS, "email"}
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    if changes.get("webhook_url") and changes["webhook_url"] != user.webhook_url:
        webhooks.url_validate(changes["webhook_url"])
    if "webhook_url" in changes:
        url = changes["webhook_url"] or ""
        if not url:
            changes["webhook_secret"] = ""
        elif rotate_webhook_secret or not user.webhook_secret:
            changes["webhook_secret"] = webhooks.secret_make()
    elif rotate_webhook_secret and user.webhook_url:
        changes["webhook_secret"] = webhooks.secret_make()
    new_email = changes.pop("email", None)
    _email_change_password_check(user, new_email, current_password)
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _validate_unique(user)
    _save_unique(user)
    if new_email is not None and normalize_email(new_email) != user.pending_email:
        email_change_request(user=user, new_email=new_email, request=request)
    return user


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str, keep_session_id=None, request) -> None:
    """Change the password and end every session of the user but ``keep_session_id`` (the caller's)."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ValidationError("The current password is incorrect.", "invalid")})
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    credentials_changed.send(
        sender=User, user=user, change=CredentialsChange.PASSWORD_CHANGED, keep_session_id=keep_session_id
    )
    audit_record(kind=AuditEvent.Kind.PASSWORD_CHANGED, request=request, user=user)


def password_reset_token_make(user: User) -> str:
    """A one-time token: Django's generator hashes the password into it, so using it voids it."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{default_token_generator.make_token(user)}"


def _password_reset_token_user(token: str) -> User | None:
    uid, _, secret = (token or "").partition(".")
    try:
        user = User.objects.filter(pk=force_str(urlsafe_base64_decode(uid)), is_active=True).first()
    except (ValueError, ValidationError, UnicodeDecodeError):
        return None
    if user is None or not default_token_generator.check_token(user, secret):
        return None
    return user


def password_reset_request(*, email: str, request) -> None:
    """Email a reset link if the address belongs to an active account; silent otherwise (no enumeration)."""
    from accounts.tasks import send_password_reset_email

    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    audit_record(kind=AuditEvent.Kind.PASSWORD_RESET_REQUESTED, request=request, user=user, identifier=email)
    if user is not None:
        enqueue_on_commit(send_password_reset_email, str(user.pk))


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str, request) -> User:
    user = _password_reset_token_user(token)
    if user is None:
        raise ValidationError({"token": ValidationError("This reset link is invalid or has expired.", "invalid_token")})
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    credentials_changed.send(sender=User, user=user, change=CredentialsChange.PASSWORD_RESET, keep_session_id=None)
    audit_record(kind=AuditEvent.Kind.PASSWORD_RESET, request=request, user=user)
    # The link came to the account's address: whoever used it receives mail there.
    user_email_mark_verified(user=user, request=request, method="password_reset")
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor=None, request=None) -> None:
    """Disable the account and end all its sessions at once."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    credentials_changed.send(sender=User, user=user, change=CredentialsChange.USER_DEACTIVATED, keep_session_id=None)
    audit_record(kind=AuditEvent.Kind.USER_DEACTIVATED, request=request, user=user, actor=actor)


# --- Email verification ----------------------------------------------------------------------
# A verification proves that its reader receives mail at an address: the account's own (purpose
# VERIFY) or the new one asked for by an email change (purpose CHANGE, which takes effect only then).


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _verifications_supersede(*, user: User, purpose: str) -> None:
    EmailVerification.objects.filter(user=user, purpose=purpose, used_at=None, superseded_at=None).update(
        superseded_at=timezone.now()
    )


def email_verification_start(*, user: User, purpose: str, request=None) -> EmailVerification:
    """Email a new link and code to the address ``purpose`` concerns (after commit, by a worker).

    Earlier verifications of the same purpose stop working now, so only the newest email works.
    """
    from accounts.tasks import send_email_verification

    email = user.pending_email if purpose == EmailVerificationPurpose.CHANGE else user.email
    _verifications_supersede(user=user, purpose=purpose)
    verification = EmailVerification.objects.create(
        user=user,
        email=email,
        purpose=purpose,
        expires_at=timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT),
    )
    audit_record(
        kind=AuditEvent.Kind.EMAIL_VERIFICATION_SENT,
        request=request,
        user=user,
        data={"purpose": purpose, "email": email},
    )
    enqueue_on_commit(send_email_verification, str(verification.pk))
    return verification


def email_verification_send(*, verification_id) -> bool:
    """Make the link's token and the code, store their hashes and email them; False if no longer wanted.

    Run by the worker, so that no secret travels through the broker; running it again (a retry) makes
    new ones and the earlier email stops working.
    """
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        verification = (
            EmailVerification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=verification_id, used_at=None, superseded_at=None, user__is_active=True)
            .first()
        )
        if verification is None:
            return False
        now = timezone.now()
        verification.token_hash = hash_verification_token(token)
        verification.code_hash = verification.code_digest(code)
        verification.attempts = 0
        verification.sent_at = now
        verification.expires_at = now + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT)
        verification.save(update_fields=["token_hash", "code_hash", "attempts", "sent_at", "expires_at"])
    user = verification.user
    emails.send(
        to=verification.email,
        template="email_verification",
        context={
            "user": user,
            "email": verification.email,
            "change": verification.purpose == EmailVerificationPurpose.CHANGE,
            "verify_url": f"{settings.FRONTEND_URL.rstrip('/')}/verify-email?token={token}",
            "code": code,
            "valid_hours": max(settings.EMAIL_VERIFICATION_TIMEOUT // 3600, 1),
        },
    )
    return True


def email_verification_resend(*, user: User, request) -> EmailVerification:
    """Send the signed-in user's verification again: of the new address if an email change waits for
    one, else of the account's address; 409 ``email_already_verified`` when there is nothing to verify."""
    if user.pending_email:
        return email_verification_start(user=user, purpose=EmailVerificationPurpose.CHANGE, request=request)
    if user.email_verified:
        raise Conflict("This email address is verified already.", code="email_already_verified")
    return email_verification_start(user=user, purpose=EmailVerificationPurpose.VERIFY, request=request)


def email_verification_resend_by_email(*, email: str, request) -> None:
    """Someone not signed in asks again: a new email goes out only if ``email`` is the unverified address
    of an active account; silent otherwise, so the answer never tells whether an account exists."""
    user = User.objects.filter(email=normalize_email(email), is_active=True, email_verified_at=None).first()
    if user is not None:
        email_verification_start(user=user, purpose=EmailVerificationPurpose.VERIFY, request=request)


def _verification_by_token(token: str) -> EmailVerification:
    token_hash = hash_verification_token(token)
    verification = EmailVerification.objects.select_for_update().filter(token_hash=token_hash).first()
    if verification is None or verification.superseded_at is not None:
        raise _invalid("token", "This verification link is invalid or was replaced by a newer one.", "invalid_token")
    if verification.used_at is not None:
        raise Gone("This verification link has been used already.", code="verification_used")
    if verification.expires_at <= timezone.now():
        raise Gone("This verification link has expired; ask for a new one.", code="verification_expired")
    return verification


def _verification_id_by_code(email: str, code: str):
    """The open verification of ``email`` whose code is ``code``, or None. A wrong code counts against
    every open verification of the address (committed even though the request then fails); each takes
    ``EMAIL_VERIFICATION_CODE_ATTEMPTS`` wrong codes."""
    with transaction.atomic():
        candidates = list(
            EmailVerification.objects.select_for_update().filter(
                email=normalize_email(email),
                used_at=None,
                superseded_at=None,
                sent_at__isnull=False,
                expires_at__gt=timezone.now(),
                attempts__lt=settings.EMAIL_VERIFICATION_CODE_ATTEMPTS,
            )[:5]
        )
        for verification in candidates:
            if verification.code_matches(code):
                return verification.pk
        EmailVerification.objects.filter(pk__in=[v.pk for v in candidates]).update(attempts=F("attempts") + 1)
    return None


def email_verify(*, request, token: str = "", email: str = "", code: str = "") -> tuple[User, EmailVerification]:
    """Confirm a verification by its link's token, or by the address and the code it was sent.

    Verifying the account's address marks it verified; verifying the new address of an email change
    makes it the account's email (409 ``email_taken`` if another account took it meanwhile).
    """
    field, method = ("token", "link") if token else ("code", "code")
    verification_id = None if token else _verification_id_by_code(email, code)
    if not token and verification_id is None:
        raise _invalid("code", "This code is wrong or has expired; ask for a new one.", "invalid_code")
    with transaction.atomic():
        if token:
            verification = _verification_by_token(token)
        else:
            verification = EmailVerification.objects.select_for_update().filter(pk=verification_id).first()
            if verification is None or not verification.is_open:  # used by a concurrent request
                raise _invalid("code", "This code is wrong or has expired; ask for a new one.", "invalid_code")
        user = User.objects.select_for_update().get(pk=verification.user_id)
        if not user.is_active:
            raise _invalid(field, "This account is deactivated.", f"invalid_{field}")
        if verification.purpose == EmailVerificationPurpose.CHANGE:
            _email_change_complete(user=user, verification=verification, request=request, field=field, method=method)
        else:
            if verification.email != user.email:
                raise _invalid(field, "This verification was for a previous address.", f"invalid_{field}")
            user_email_mark_verified(user=user, request=request, method=method)
        verification.used_at = timezone.now()
        verification.save(update_fields=["used_at"])
    return user, verification


def user_email_mark_verified(*, user: User, request=None, actor: User | None = None, method: str) -> bool:
    """Record that ``user`` receives mail at their address (a link or code, an accepted invitation, a
    password reset, staff); audited. False if it was verified already."""
    updated = User.objects.filter(pk=user.pk, email=user.email, email_verified_at=None).update(
        email_verified_at=timezone.now()
    )
    user.refresh_from_db(fields=["email_verified_at"])
    if updated:
        audit_record(
            kind=AuditEvent.Kind.EMAIL_VERIFIED,
            request=request,
            user=user,
            actor=actor,
            data={"method": method, "email": user.email},
        )
    return bool(updated)


# --- Changing the email ----------------------------------------------------------------------


def email_change_request(*, user: User, new_email: str, request=None) -> User:
    """Ask to change the account's email: nothing changes yet. The new address gets a verification,
    the current one a notice; the change takes effect when the new address is verified.

    The new address must be free now (400 ``email_taken``) and still be when confirmed (409).
    Asking for the current address again cancels a pending change.
    """
    from accounts.tasks import send_email_change_notice

    new_email = normalize_email(new_email)
    if new_email == user.email:
        if user.pending_email:
            _verifications_supersede(user=user, purpose=EmailVerificationPurpose.CHANGE)
            user.pending_email = ""
            user.save(update_fields=["pending_email"])
        return user
    if User.objects.exclude(pk=user.pk).filter(email=new_email).exists():
        raise _invalid("email", "A user with this email already exists.", "email_taken")
    user.pending_email = new_email
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=["pending_email"])
    audit_record(kind=AuditEvent.Kind.EMAIL_CHANGE_REQUESTED, request=request, user=user, data={"new_email": new_email})
    email_verification_start(user=user, purpose=EmailVerificationPurpose.CHANGE, request=request)
    enqueue_on_commit(send_email_change_notice, str(user.pk), new_email)
    return user


def _email_change_complete(*, user: User, verification: EmailVerification, request, field: str, method: str) -> None:
    if verification.email != user.pending_email:
        raise _invalid(field, "This email change was cancelled or replaced by a newer one.", f"invalid_{field}")
    if User.objects.exclude(pk=user.pk).filter(email=verification.email).exists():
        raise Conflict("Another account uses this email address now.", code="email_taken")
    old_email = user.email
    user.email = verification.email
    user.pending_email = ""
    user.email_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "pending_email", "email_verified_at"])
    except IntegrityError:
        raise Conflict("Another account uses this email address now.", code="email_taken") from None
    # A verification of the previous address can no longer prove anything.
    _verifications_supersede(user=user, purpose=EmailVerificationPurpose.VERIFY)
    audit_record(
        kind=AuditEvent.Kind.EMAIL_CHANGED,
        request=request,
        user=user,
        data={"from": old_email, "to": user.email, "method": method},
    )
