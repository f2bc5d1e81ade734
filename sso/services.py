"""Writes of single sign-on: attempts (state, PKCE, nonce, browser binding), callbacks, linked identities.

The rules of linking (docs/identity.md#single-sign-on):

- a provider identity already linked signs its account in, whatever email it now asserts;
- a new identity is linked to the account with the same email only when the provider asserts that
  email verified and the account has verified it too (``SSO_LINK_BY_VERIFIED_EMAIL``);
- a new identity with a verified email no account has creates an account (email verified, no password);
- an email the provider has not verified never links nor creates (403 ``email_not_verified``); an
  account with the email that cannot be linked answers 409 ``account_link_required``: sign in, then
  link from the account.
"""

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from accounts.services import user_create
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Conflict
from sessions_app import services as session_services
from sessions_app.models import UserSession
from sso import providers
from sso.errors import SSOError, invalid_state
from sso.models import SocialIdentity, SSOAttempt

logger = logging.getLogger("security")

BINDING_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
USERNAME_MAX = User._meta.get_field("username").max_length


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- Starting: GET /oauth/authorize ----------------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    authorization_url: str
    state: str
    binding: str  # the browser binding, for the sso_binding cookie


def redirect_uri_check(redirect_uri: str) -> None:
    if redirect_uri not in settings.SSO_REDIRECT_URIS:
        raise ValidationError(
            {"redirect_uri": ValidationError("This redirect URI is not allowed.", code="redirect_uri_not_allowed")}
        )


def sso_authorize(
    *,
    provider_name: str,
    redirect_uri: str,
    binding: str | None = None,
    intent: str = SSOAttempt.Intent.SIGN_IN,
    user=None,
    session_id=None,
) -> Authorization:
    """Start a trip to the provider: a new attempt, bound to this browser, and the provider's URL.

    ``binding`` is the browser's ``sso_binding`` cookie if it has one (kept, so that attempts
    started in two tabs both finish), else a new one is made.
    """
    provider = providers.provider_get(provider_name)
    redirect_uri_check(redirect_uri)
    if not (binding and BINDING_PATTERN.match(binding)):
        binding = secrets.token_urlsafe(32)
    state = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43 to 128
    nonce = secrets.token_urlsafe(24) if provider.is_oidc else ""
    url = providers.authorization_url(
        provider, redirect_uri=redirect_uri, state=state, code_verifier=code_verifier, nonce=nonce
    )
    now = timezone.now()
    SSOAttempt.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    SSOAttempt.objects.create(
        state_hash=_hash(state),
        binding_hash=_hash(binding),
        provider=provider.name,
        intent=intent,
        user=user,
        session_id=session_id,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        nonce=nonce,
        expires_at=now + timedelta(seconds=settings.SSO_ATTEMPT_SECONDS),
    )
    return Authorization(authorization_url=url, state=state, binding=binding)


def sso_reauthenticate_start(*, provider_name: str, redirect_uri: str, user, session_id, binding=None):
    """Start confirming the signed-in person through a provider identity they have linked."""
    providers.provider_get(provider_name)
    if not SocialIdentity.objects.filter(user=user, provider=provider_name).exists():
        raise Conflict("No identity of this provider is linked to your account.", code="identity_not_linked")
    return sso_authorize(
        provider_name=provider_name,
        redirect_uri=redirect_uri,
        binding=binding,
        intent=SSOAttempt.Intent.REAUTHENTICATE,
        user=user,
        session_id=session_id,
    )


# --- Finishing: POST /oauth/callback ---------------------------------------------------------


def attempt_claim(*, provider_name: str, state: str, binding: str | None) -> SSOAttempt:
    """The attempt ``state`` names, checked and marked used (by one conditional UPDATE: a replay,
    even a concurrent one, finds it used). Raises ``invalid_state`` with the reason."""
    attempt = SSOAttempt.objects.filter(state_hash=_hash(state)).first()
    if attempt is None or attempt.provider != provider_name:
        raise invalid_state("state_unknown")
    if attempt.used_at is not None:
        raise invalid_state("state_used")
    now = timezone.now()
    if attempt.expires_at <= now:
        raise invalid_state("state_expired")
    if not binding or not hmac.compare_digest(attempt.binding_hash, _hash(binding)):
        raise invalid_state("browser_mismatch")
    claimed = SSOAttempt.objects.filter(pk=attempt.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise invalid_state("state_used")
    attempt.used_at = now
    return attempt


@dataclass(frozen=True)
class CallbackResult:
    """What a callback ended in, by the attempt's intent: a sign-in, a linked identity, or fresh tokens."""

    intent: str
    signed_in: session_services.SignIn | None = None
    identity: SocialIdentity | None = None
    tokens: dict | None = None


def sso_callback(
    *, provider_name: str, code: str, state: str, binding: str | None, request, caller=None, device_name: str = ""
) -> CallbackResult:
    """Finish an attempt: exchange the code, verify who signed in, then sign in, link or re-authenticate.

    ``caller`` is ``(user, session_id)`` of the request's access token, if it has a good one: linking
    and re-authenticating need the person who started them. Every failure is audited.
    """
    provider = providers.provider_get(provider_name)
    intent = ""
    try:
        attempt = attempt_claim(provider_name=provider.name, state=state, binding=binding)
        intent = attempt.intent
        if intent != SSOAttempt.Intent.SIGN_IN:
            _caller_check(attempt, caller)
        identity = providers.provider_identity(
            provider,
            code=code,
            redirect_uri=attempt.redirect_uri,
            code_verifier=attempt.code_verifier,
            nonce=attempt.nonce,
        )
        if intent == SSOAttempt.Intent.LINK:
            return CallbackResult(
                intent=intent, identity=identity_link(user=attempt.user, found=identity, request=request)
            )
        if intent == SSOAttempt.Intent.REAUTHENTICATE:
            return CallbackResult(intent=intent, tokens=_reauthenticate(attempt, identity, request=request))
        user = user_for_identity(found=identity, request=request)
        signed_in = session_services.sign_in(user=user, request=request, device_name=device_name, method=provider.name)
        return CallbackResult(intent=intent, signed_in=signed_in)
    except SSOError as exc:
        audit_record(
            kind=AuditEvent.Kind.SSO_LOGIN_FAILED,
            request=request,
            user=exc.user,
            identifier=exc.identifier,
            data={"provider": provider.name, "reason": exc.reason, **({"intent": intent} if intent else {})},
        )
        logger.warning("SSO %s failed: %s (%s)", provider.name, exc.code, exc.reason)
        raise


def _caller_check(attempt: SSOAttempt, caller) -> None:
    user, session_id = caller or (None, None)
    if user is None or user.pk != attempt.user_id:
        raise SSOError(
            "not_authenticated",
            "Send the access token of the account that started this (Authorization: Bearer ...).",
            status=401,
            reason="caller_mismatch",
        )
    if attempt.intent == SSOAttempt.Intent.REAUTHENTICATE and str(session_id) != str(attempt.session_id):
        raise SSOError(
            "not_authenticated", "Finish on the session that started this.", status=401, reason="session_mismatch"
        )


def _reauthenticate(attempt: SSOAttempt, found: providers.ProviderIdentity, *, request) -> dict:
    identity = SocialIdentity.objects.filter(provider=found.provider, subject=found.subject).first()
    if identity is None or identity.user_id != attempt.user_id:
        raise SSOError(
            "identity_mismatch",
            "Sign in at the provider with the identity linked to your account.",
            status=403,
            reason="identity_mismatch",
            user=attempt.user,
        )
    identity_touch(identity=identity, found=found)
    session = UserSession.objects.select_related("user").get(pk=attempt.session_id)
    return session_services.session_reauthenticate(session=session, request=request, method=found.provider)


def identity_touch(*, identity: SocialIdentity, found: providers.ProviderIdentity) -> None:
    """An identity was used again: keep what the provider now asserts."""
    identity.email = found.email
    identity.email_verified = found.email_verified
    identity.last_used_at = timezone.now()
    identity.save(update_fields=["email", "email_verified", "last_used_at"])


def _identity_create(*, user, found: providers.ProviderIdentity, request, how: str) -> SocialIdentity:
    identity = SocialIdentity.objects.create(
        user=user,
        provider=found.provider,
        subject=found.subject,
        email=found.email,
        email_verified=found.email_verified,
        last_used_at=timezone.now(),
    )
    audit_record(
        kind=AuditEvent.Kind.IDENTITY_LINKED, request=request, user=user, data={"provider": found.provider, "by": how}
    )
    return identity


def user_for_identity(*, found: providers.ProviderIdentity, request) -> User:
    """The account a provider identity signs in to, by the rules of the module docstring."""
    try:
        with transaction.atomic():
            user = _user_for_identity(found=found, request=request)
    except IntegrityError:
        # A concurrent first sign-in of the same identity linked it first: use that link.
        identity = (
            SocialIdentity.objects.select_related("user").filter(provider=found.provider, subject=found.subject).first()
        )
        if identity is None:
            raise
        user = identity.user
    if not user.is_active:
        raise SSOError("user_inactive", "This account is disabled.", status=401, reason="user_inactive", user=user)
    return user


def _user_for_identity(*, found: providers.ProviderIdentity, request) -> User:
    identity = (
        SocialIdentity.objects.select_related("user").filter(provider=found.provider, subject=found.subject).first()
    )
    if identity is not None:
        identity_touch(identity=identity, found=found)
        return identity.user
    if not found.email:
        raise SSOError(
            "email_required",
            "The provider did not share an email address; allow it to, or sign in another way.",
            status=403,
            reason="email_missing",
        )
    account = User.objects.filter(email=normalize_email(found.email)).first()
    if not found.email_verified:
        raise SSOError(
            "email_not_verified",
            "The provider has not verified this email address; verify it there, or sign in another way and link.",
            status=403,
            reason="email_not_verified",
            user=account,
            identifier=found.email,
        )
    if account is None:
        user = _user_create_for(found)
        return _identity_create(user=user, found=found, request=request, how="new_account").user
    if settings.SSO_LINK_BY_VERIFIED_EMAIL and account.email_verified:
        return _identity_create(user=account, found=found, request=request, how="verified_email").user
    raise SSOError(
        "account_link_required",
        "An account with this email exists. Sign in to it another way, then link this provider from your account.",
        status=409,
        reason="account_link_required",
        user=account,
        identifier=found.email,
    )


def username_from(hint: str, email: str) -> str:
    """A free username made from the provider's handle (or the email's local part)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", hint or email.split("@")[0]).strip("_")[:USERNAME_MAX] or "user"
    if len(base) < 2:
        base = f"{base}_user"
    candidates = [base] + [f"{base[: USERNAME_MAX - 1 - len(str(n))]}_{n}" for n in range(2, 6)]
    for candidate in candidates:
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    return f"{base[: USERNAME_MAX - 9]}_{secrets.token_hex(4)}"


def _user_create_for(found: providers.ProviderIdentity) -> User:
    user = user_create(
        email=found.email,
        username=username_from(found.username_hint, found.email),
        password=None,
        full_name=found.name[:150],
    )
    # The provider asserted the address verified: as good as our own link (see accounts.models.User).
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


# --- Linked identities ----------------------------------------------------------------------


def identity_link(*, user, found: providers.ProviderIdentity, request) -> SocialIdentity:
    """Link ``found`` to the signed-in ``user`` (who just proved they hold it at the provider)."""
    identity = SocialIdentity.objects.filter(provider=found.provider, subject=found.subject).first()
    if identity is not None and identity.user_id != user.pk:
        raise SSOError(
            "identity_in_use",
            "This provider account is already linked to another account.",
            status=409,
            reason="identity_in_use",
            user=user,
        )
    if identity is not None:
        identity_touch(identity=identity, found=found)
        return identity
    try:
        with transaction.atomic():
            return _identity_create(user=user, found=found, request=request, how="signed_in")
    except IntegrityError as exc:
        raise SSOError(
            "identity_in_use", "This provider account was just linked.", status=409, reason="identity_in_use"
        ) from exc


@transaction.atomic
def identity_unlink(*, identity: SocialIdentity, request) -> None:
    """Remove a linked identity, unless it is the account's last way to sign in."""
    user = User.objects.select_for_update().get(pk=identity.user_id)
    others = SocialIdentity.objects.filter(user=user).exclude(pk=identity.pk).exists()
    if not others and not user.has_usable_password():
        raise Conflict(
            "This is your last way to sign in: set a password or link another provider first.",
            code="last_sign_in_method",
        )
    identity.delete()
    audit_record(
        kind=AuditEvent.Kind.IDENTITY_UNLINKED, request=request, user=user, data={"provider": identity.provider}
    )
