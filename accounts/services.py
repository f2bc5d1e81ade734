"""Writes of the accounts app: users, profiles and passwords."""

from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User, normalize_email
from accounts.signals import CredentialsChange, credentials_changed
from audit.models import AuditEvent
from audit.services import audit_record
from config.jobs import enqueue_on_commit
from notifications import webhooks


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
) -> User:
    """Create a user; a ``None`` password leaves the account unable to sign in with one."""
    user = User(
        email=normalize_email(email),
        username=username,
        full_name=full_name,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
        is_active=is_active,
    )
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _validate_unique(user)
    if password and validate_password:
        _validate_password(password, user)
    user.set_password(password) if password else user.set_unusable_password()
    _save_unique(user)
    return user


def user_ensure(*, email: str, username: str, password: str, full_name: str = "", **flags) -> tuple[User, bool]:
    """Return the user with this email, creating it if needed. Existing users keep their password."""
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is not None:
        changed = [name for name, value in flags.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, flags[name])
        if changed:
            user.save(update_fields=changed)
        return user, False
    return user_create(email=email, username=username, password=password, full_name=full_name, **flags), True


PROFILE_FIELDS = ("full_name", "username", "notify_email", "webhook_url")


@transaction.atomic
def user_update_profile(
    *, user: User, current_password: str | None = None, rotate_webhook_secret: bool = False, **changes
) -> User:
    """Edit one's own profile. Changing the email needs the current password.

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
    if "email" in changes and normalize_email(changes["email"]) != user.email:
        if not current_password or not user.check_password(current_password):
            raise ValidationError(
                {"current_password": ValidationError("Enter your current password to change your email.", "invalid")}
            )
        changes["email"] = normalize_email(changes["email"])
    for name, value in changes.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    _validate_unique(user)
    _save_unique(user)
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
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor=None, request=None) -> None:
    """Disable the account and end all its sessions at once."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    credentials_changed.send(sender=User, user=user, change=CredentialsChange.USER_DEACTIVATED, keep_session_id=None)
    audit_record(kind=AuditEvent.Kind.USER_DEACTIVATED, request=request, user=user, actor=actor)
