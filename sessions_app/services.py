"""Writes of the sessions app: signing in, rotating and revoking sessions."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from user_agents import parse as parse_user_agent

from accounts.selectors import user_get_by_identifier
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Forbidden, NotAuthenticated
from config.request_meta import client_ip, user_agent
from config.retention import DEFAULT_BATCH_SIZE, delete_in_batches
from config.text import truncate
from mfa import selectors as mfa_selectors
from mfa import services as mfa_services
from sessions_app import session_state
from sessions_app.models import RevokeReason, UserSession
from sessions_app.tokens import SessionRefreshToken, issue_token_pair, session_id_of

logger = logging.getLogger("security")

DEVICE_NAME_MAX = UserSession._meta.get_field("device_name").max_length


class AuthError(NotAuthenticated):
    """A sign-in or refresh that must answer 401 with ``code``."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


def _describe_device(ua: str) -> str:
    if not ua:
        return "Unknown device"
    parsed = parse_user_agent(ua)
    browser = " ".join(filter(None, [parsed.browser.family, parsed.browser.version_string.split(".")[0]]))
    system = " ".join(filter(None, [parsed.os.family, parsed.os.version_string]))
    if parsed.is_bot:
        return truncate(f"Bot: {browser}", DEVICE_NAME_MAX)
    if browser == "Other" and system == "Other":
        return truncate(ua, DEVICE_NAME_MAX)
    return truncate(f"{browser} on {system}", DEVICE_NAME_MAX)


def _token_expiry(token) -> datetime:
    return datetime.fromtimestamp(token["exp"], tz=timezone.get_current_timezone())


@transaction.atomic
def session_create(
    *, user, request=None, device_name: str = "", sign_in_method: str = "password"
) -> tuple[UserSession, dict]:
    """Open a session for ``user`` on the requesting device and issue its token pair."""
    ua = user_agent(request) if request is not None else ""
    session = UserSession(
        id=uuid.uuid4(),
        user=user,
        user_agent=ua,
        device_name=truncate(device_name or _describe_device(ua), DEVICE_NAME_MAX),
        ip=client_ip(request) if request is not None else None,
        sign_in_method=sign_in_method,
    )
    tokens = issue_token_pair(session)
    session.refresh_jti = tokens["refresh"]["jti"]
    session.expires_at = _token_expiry(tokens["refresh"])
    session.save()
    # Tokens of a session whose transaction rolls back are never handed out, so priming now is safe.
    session_state.remember(session)
    return session, tokens


@dataclass(frozen=True)
class SignIn:
    """What a sign-in ends in: an open session and its token pair, or, for an account with a second
    factor, no session yet but a challenge (``mfa_challenge``) to answer at ``/auth/login/mfa``."""

    session: UserSession | None = None
    tokens: dict | None = None
    mfa_challenge: mfa_services.MfaChallengeIssued | None = None


def sign_in(*, user, request, device_name: str = "", method: str, second_factor: str | None = None) -> SignIn:
    """The one end of every way of signing in (a password, single sign-on, a second factor): the
    person is who they claim; open their session on this device and audit it.

    ``method`` names the way, for the session and the audit log ("password", "google", ...). An
    account with a second factor gets no session until it is proved: the answer is then a challenge
    bound to this attempt, and ``sign_in_second_factor`` comes back here with ``second_factor`` set,
    recorded as "password+totp", "google+recovery_code"...
    """
    if second_factor is None and mfa_selectors.user_has_second_factor(user=user):
        challenge = mfa_services.mfa_challenge_create(
            user=user, method=method, device_name=device_name, request=request
        )
        return SignIn(mfa_challenge=challenge)
    if second_factor is not None:
        method = f"{method}+{second_factor}"
    session, tokens = session_create(user=user, request=request, device_name=device_name, sign_in_method=method)
    audit_record(
        kind=AuditEvent.Kind.LOGIN_SUCCEEDED,
        request=request,
        user=user,
        session_id=session.id,
        data={"method": method},
    )
    return SignIn(session=session, tokens=tokens)


def sign_in_second_factor(*, mfa_token: str, code: str, factor: str | None = None, request) -> SignIn:
    """Finish a sign-in that answered a challenge: check the code against it (``mfa`` raises the 401s and
    429s), then open the session as the first factor would have, the second factor named in its method."""
    proof = mfa_services.mfa_challenge_complete(token=mfa_token, code=code, factor=factor, request=request)
    return sign_in(
        user=proof.user,
        request=request,
        device_name=proof.device_name,
        method=proof.method,
        second_factor=proof.factor,
    )


def session_login_limit_key(*, identifier: str) -> str:
    """What the per-account sign-in limit counts for ``identifier``.

    The account it names, so guesses by its email and by its username share one count; an
    identifier that names no account counts by itself (normalised), so the limit answers alike
    whether or not an account exists.
    """
    user = user_get_by_identifier(identifier=identifier)
    return f"user:{user.pk}" if user is not None else f"identifier:{identifier.lower()}"


def session_login(*, identifier: str, password: str, request, device_name: str = "") -> SignIn:
    """Check credentials (email or username) and open a session; failures are audited and raise ``AuthError``."""
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        # On the account the identifier names, if any, so its owner sees the attempt.
        audit_record(
            kind=AuditEvent.Kind.LOGIN_FAILED,
            request=request,
            identifier=identifier,
            user=user_get_by_identifier(identifier=identifier),
        )
        raise AuthError("invalid_credentials", "Email/username or password is incorrect.")
    if settings.REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN and not user.email_verified:
        # Only after the right password, so the answer tells nothing to someone guessing.
        reason = {"reason": "email_not_verified"}
        audit_record(kind=AuditEvent.Kind.LOGIN_FAILED, request=request, user=user, data=reason)
        raise Forbidden(
            "Verify your email address before signing in; POST /auth/email/resend sends a new link.",
            code="email_not_verified",
        )
    return sign_in(user=user, request=request, device_name=device_name, method="password")


def reauthentication_check(*, user, request, password: str | None = None, code: str | None = None) -> str:
    """Check the proof of identity given to re-authenticate (the password, or a code of the second
    factor, which accounts without a password have); answer its method, or raise a 400 on the field
    (not a 401: the caller's tokens are good, and a frontend takes a 401 to mean sign in again)."""
    if code:
        return mfa_services.mfa_reauthentication_check(user=user, code=code, request=request)
    if not password or not user.check_password(password):
        audit_record(kind=AuditEvent.Kind.LOGIN_FAILED, request=request, user=user, data={"reauthentication": True})
        raise ValidationError({"password": ValidationError("The password is incorrect.", code="invalid")})
    return "password"


@transaction.atomic
def session_reauthenticate(*, session: UserSession, request, method: str) -> dict:
    """The person proved again who they are on ``session``: record it and issue an access token
    carrying the new ``auth_time``. The refresh token is unchanged."""
    session.authenticated_at = timezone.now()
    UserSession.objects.filter(pk=session.pk).update(authenticated_at=session.authenticated_at)
    audit_record(
        kind=AuditEvent.Kind.REAUTHENTICATED,
        request=request,
        user=session.user,
        session_id=session.id,
        data={"method": method},
    )
    return issue_token_pair(session)


def session_refresh(*, raw_refresh: str, request) -> dict:
    """Rotate a refresh token. A token that was already rotated is reuse: its whole session ends.

    The swap of ``refresh_jti`` is one conditional UPDATE, so of concurrent refreshes of one
    token exactly one wins; the others find the jti changed and count as reuse.
    """
    try:
        token = SessionRefreshToken(raw_refresh)
    except TokenError as exc:
        raise AuthError("token_not_valid", "Refresh token is invalid or expired.") from exc
    sid = session_id_of(token)
    session = UserSession.objects.select_related("user").filter(pk=sid).first() if sid else None
    if session is None:
        raise AuthError("token_not_valid", "Refresh token is invalid or expired.")
    token_user_id = token.get(jwt_settings.USER_ID_CLAIM)
    if str(session.user_id) != str(token_user_id):
        # Never issued by us (only a holder of the signing key can make one): invalid, and it must
        # neither end nor rotate the other user's session.
        logger.warning("Refresh token of user %s names session %s of another user: rejected", token_user_id, sid)
        raise AuthError("token_not_valid", "Refresh token is invalid or expired.")
    now = timezone.now()
    if session.revoked_at is not None:
        raise AuthError("session_revoked", "This session has been signed out.")
    if session.expires_at <= now:
        raise AuthError("session_expired", "This session has expired; sign in again.")
    if not session.user.is_active:
        raise AuthError("user_inactive", "This account is disabled.")

    tokens = issue_token_pair(session)
    swapped = UserSession.objects.filter(pk=session.pk, refresh_jti=token["jti"], revoked_at__isnull=True).update(
        refresh_jti=tokens["refresh"]["jti"], expires_at=_token_expiry(tokens["refresh"]), last_seen_at=now
    )
    if swapped:
        session_state.forget([session.pk])  # its expiry moved
        return tokens
    session_revoke(session=session, reason=RevokeReason.REFRESH_REUSE)
    audit_record(kind=AuditEvent.Kind.REFRESH_REUSE, request=request, user=session.user, session_id=session.id)
    logger.warning("Refresh token reuse on session %s of user %s: session revoked", session.id, session.user_id)
    raise AuthError("refresh_token_reused", "This refresh token was already used; the session has been signed out.")


def session_revoke(*, session: UserSession, reason: str) -> bool:
    """End one session now: its access and refresh tokens stop working on the next request."""
    revoked = UserSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    session_state.forget([session.pk])
    return bool(revoked)


def session_revoke_all(*, user, reason: str, keep_session_id=None) -> int:
    """End every active session of ``user`` (but the one of ``keep_session_id``, if given)."""
    sessions = UserSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep_session_id is not None:
        sessions = sessions.exclude(pk=keep_session_id)
    ids = list(sessions.values_list("pk", flat=True))
    count = UserSession.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    session_state.forget(ids)
    return count


def session_logout(*, session: UserSession, request) -> None:
    session_revoke(session=session, reason=RevokeReason.LOGOUT)
    audit_record(kind=AuditEvent.Kind.LOGOUT, request=request, user=session.user, session_id=session.id)


def session_logout_all(*, user, request) -> int:
    count = session_revoke_all(user=user, reason=RevokeReason.LOGOUT_ALL)
    audit_record(kind=AuditEvent.Kind.LOGOUT_ALL, request=request, user=user)
    return count


def session_revoke_by_owner(*, session: UserSession, request) -> None:
    session_revoke(session=session, reason=RevokeReason.REVOKED_BY_USER)
    audit_record(kind=AuditEvent.Kind.SESSION_REVOKED, request=request, user=session.user, session_id=session.id)


def session_revoke_by_admin(*, session: UserSession, admin, request=None) -> bool:
    revoked = session_revoke(session=session, reason=RevokeReason.REVOKED_BY_ADMIN)
    if revoked:
        audit_record(
            kind=AuditEvent.Kind.SESSION_REVOKED_BY_ADMIN,
            request=request,
            user=session.user,
            actor=admin,
            session_id=session.id,
        )
    return revoked


def sessions_purge(*, now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete sessions that ended (expired or were revoked) more than
    ``SESSION_RETENTION_DAYS`` ago, in batches; returns how many."""
    cutoff = (now or timezone.now()) - timezone.timedelta(days=settings.SESSION_RETENTION_DAYS)
    ended = UserSession.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))
    return delete_in_batches(ended, batch_size=batch_size, dry_run=dry_run)
