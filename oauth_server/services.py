"""The writes of the authorization server: consent, revocation, the code-reuse incident, registration,
and the sign-in of its authorization page."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import clear_expired

from accounts.selectors import user_get_by_identifier
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Forbidden, NotAuthenticated
from mfa import selectors as mfa_selectors
from mfa import services as mfa_services
from oauth_server.models import AccessToken, Application, Grant, OAuthGrant, RefreshToken
from oauth_server.redirects import redirect_uri_check
from organizations.changes import Action, organization_change
from organizations.models import Organization


@dataclass(frozen=True)
class Consent:
    """What the consent form adds to an approved authorization request (through oauthlib's credentials)."""

    organization_ids: frozenset
    http_request: object = None


# --- Consent and revocation ----------------------------------------------------------------------


@transaction.atomic
def oauth_grant_consent(*, user, application, scopes: list[str], organization_ids, request=None) -> OAuthGrant:
    """The person approved ``application`` for ``scopes`` in ``organization_ids`` (only their own
    organizations count). One live grant per person and client: consenting again replaces its scopes and
    organizations, which the tokens already issued under it follow at once."""
    organizations = list(Organization.objects.filter(memberships__user=user, pk__in=list(organization_ids or [])))
    grant = (
        OAuthGrant.objects.select_for_update()
        .filter(user=user, application=application, revoked_at__isnull=True)
        .first()
    )
    before_ids = set()
    if grant is None:
        grant = OAuthGrant.objects.create(user=user, application=application, scopes=sorted(set(scopes)))
    else:
        before_ids = set(grant.organizations.values_list("pk", flat=True))
        grant.scopes = sorted(set(scopes))
        grant.save(update_fields=["scopes", "updated_at"])
    grant.organizations.set(organizations)
    after = {"client_id": application.client_id, "client_name": application.name, "scopes": grant.scopes}
    _organizations_tell(grant, [org.pk for org in organizations], Action.OAUTH_GRANT_CREATED, actor=user, after=after)
    removed = before_ids - {org.pk for org in organizations}
    _organizations_tell(grant, sorted(removed), Action.OAUTH_GRANT_REVOKED, actor=user, after={"reason": "consent"})
    audit_record(
        kind=AuditEvent.Kind.OAUTH_CONSENT_GRANTED,
        request=request,
        user=user,
        data={
            "client_id": application.client_id,
            "client_name": application.name,
            "scopes": grant.scopes,
            "organizations": sorted(str(org.pk) for org in organizations),
        },
    )
    return grant


def _organizations_tell(grant: OAuthGrant, organization_ids, action: str, *, actor, **values) -> None:
    """Tell each organization the grant covers (its audit log): one change per organization."""
    for organization_id in organization_ids:
        organization_change(organization_id=organization_id, action=action, actor=actor, target=grant, **values)


def _grant_tokens_end(grant: OAuthGrant, now) -> None:
    RefreshToken.objects.filter(oauth_grant=grant, revoked__isnull=True).update(revoked=now, access_token=None)
    AccessToken.objects.filter(oauth_grant=grant).delete()


@transaction.atomic
def oauth_grant_revoke(*, grant: OAuthGrant, request=None, actor=None, reason: str = "owner") -> None:
    """End the consent and, at once, every token issued under it (the API checks both on each request)."""
    grant = OAuthGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return
    now = timezone.now()
    grant.revoked_at = now
    grant.save(update_fields=["revoked_at", "updated_at"])
    _grant_tokens_end(grant, now)
    _organizations_tell(
        grant,
        grant.organizations.values_list("pk", flat=True),
        Action.OAUTH_GRANT_REVOKED,
        actor=actor,
        before={
            "client_id": grant.application.client_id,
            "client_name": grant.application.name,
            "scopes": grant.scopes,
        },
        after={"revoked_at": now, "reason": reason},
    )
    audit_record(
        kind=AuditEvent.Kind.OAUTH_GRANT_REVOKED,
        request=request,
        user=grant.user,
        actor=actor if actor is not None and actor != grant.user else None,
        data={"client_id": grant.application.client_id, "client_name": grant.application.name, "reason": reason},
    )


@transaction.atomic
def oauth_grant_remove_organization(*, grant: OAuthGrant, organization, request=None, actor=None) -> None:
    """An organization administrator takes their organization out of a grant: its tokens stop reaching
    it at once; the person's other organizations stay granted. A grant left covering no organization is
    revoked whole."""
    grant = OAuthGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return
    grant.organizations.remove(organization)
    _organizations_tell(
        grant,
        [organization.pk],
        Action.OAUTH_GRANT_REVOKED,
        actor=actor,
        before={
            "client_id": grant.application.client_id,
            "client_name": grant.application.name,
            "scopes": grant.scopes,
        },
        after={"reason": "organization_admin"},
    )
    if not grant.organizations.exists():
        oauth_grant_revoke(grant=grant, request=request, actor=actor, reason="organization_admin")
        return
    audit_record(
        kind=AuditEvent.Kind.OAUTH_GRANT_REVOKED,
        request=request,
        user=grant.user,
        actor=actor if actor != grant.user else None,
        data={
            "client_id": grant.application.client_id,
            "client_name": grant.application.name,
            "reason": "organization_admin",
            "organization": str(organization.pk),
        },
    )


@transaction.atomic
def authorization_code_reused(*, code_row: Grant, request=None) -> int:
    """A code exchanged a second time: it leaked, or its exchange was replayed. Revoke every token issued
    from it (and from their refreshes); answers how many tokens were revoked."""
    now = timezone.now()
    refreshed = RefreshToken.objects.filter(authorization_code=code_row, revoked__isnull=True).update(
        revoked=now, access_token=None
    )
    deleted, _ = AccessToken.objects.filter(authorization_code=code_row).delete()
    audit_record(
        kind=AuditEvent.Kind.OAUTH_CODE_REUSED,
        request=request,
        user=code_row.user,
        data={"client_id": code_row.application.client_id, "tokens_revoked": refreshed + deleted},
    )
    return refreshed + deleted


# --- Dynamic client registration (RFC 7591) ------------------------------------------------------


@transaction.atomic
def application_register_public(*, client_name: str, redirect_uris: list[str], request=None) -> Application:
    """Register a public client (no secret; PKCE is its proof) for the authorization code flow."""
    if not redirect_uris:
        raise ValidationError("At least one redirect URI is required.", code="invalid_redirect_uri")
    for uri in redirect_uris:
        redirect_uri_check(uri)
    application = Application(
        name=client_name[:255],
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        registration_source=Application.RegistrationSource.DCR,
        algorithm=Application.RS256_ALGORITHM,
    )
    application.full_clean()
    application.save()
    audit_record(
        kind=AuditEvent.Kind.OAUTH_CLIENT_REGISTERED,
        request=request,
        data={"client_id": application.client_id, "client_name": application.name, "redirect_uris": redirect_uris},
    )
    return application


# --- The authorization page's sign-in ------------------------------------------------------------


@dataclass(frozen=True)
class BrowserSignIn:
    """The password was right: the person (no second factor), or the challenge to answer."""

    user: object = None
    mfa_challenge: mfa_services.MfaChallengeIssued | None = None


def browser_sign_in_password(*, identifier: str, password: str, request) -> BrowserSignIn:
    """Check the password as /auth/login does (audited, verified email when required); an account with a
    second factor gets a challenge instead of the person."""
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        audit_record(
            kind=AuditEvent.Kind.LOGIN_FAILED,
            request=request,
            identifier=identifier,
            user=user_get_by_identifier(identifier=identifier),
            data={"via": "oauth"},
        )
        raise NotAuthenticated("Email/username or password is incorrect.", code="invalid_credentials")
    if settings.REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN and not user.email_verified:
        audit_record(kind=AuditEvent.Kind.LOGIN_FAILED, request=request, user=user,
                     data={"reason": "email_not_verified", "via": "oauth"})  # fmt: skip
        raise Forbidden("Verify your email address before signing in.", code="email_not_verified")
    if mfa_selectors.user_has_second_factor(user=user):
        return BrowserSignIn(mfa_challenge=mfa_services.mfa_challenge_create(user=user, method="password",
                                                                             request=request))  # fmt: skip
    browser_signed_in(user=user, method="password", request=request)
    return BrowserSignIn(user=user)


def browser_sign_in_second_factor(*, mfa_token: str, code: str, request):
    proof = mfa_services.mfa_challenge_complete(token=mfa_token, code=code, request=request)
    browser_signed_in(user=proof.user, method=f"{proof.method}+{proof.factor}", request=request)
    return proof.user


def browser_signed_in(*, user, method: str, request) -> None:
    audit_record(kind=AuditEvent.Kind.LOGIN_SUCCEEDED, request=request, user=user,
                 data={"method": method, "via": "oauth"})  # fmt: skip


# --- Retention -------------------------------------------------------------------------------------


def _expired_rows(now) -> int:
    return Grant.objects.filter(expires__lt=now).count() + AccessToken.objects.filter(expires__lt=now).count()


def oauth_tokens_purge(*, now, batch_size: int, dry_run: bool) -> int:
    """The retention policy of OAuth codes and tokens (``RETENTION_POLICIES``): django-oauth-toolkit's own
    ``clear_expired``, which deletes in batches of ``CLEAR_EXPIRED_TOKENS_BATCH_SIZE`` and keeps a rotated
    refresh token as long as it can still reveal a reuse. Counts expired codes and access tokens; a dry run
    counts them without deleting."""
    before = _expired_rows(now)
    if dry_run:
        return before
    clear_expired()
    return before - _expired_rows(now)
