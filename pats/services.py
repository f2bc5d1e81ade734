"""Personal access tokens: create, revoke, record their use.

Decisions (docs/guides/personal-access-tokens.md explains them to people):

- Only the person's own session makes or revokes their tokens (``config.permissions.TokenScope``
  denies every token there): a token never mints another token.
- A token names its organizations explicitly; ``all_organizations`` at creation means every
  organization the person belongs to *then*, written out: it never reaches one joined later.
- ``org:admin`` may be asked for any of the person's organizations; at each request it does no more
  than the person's role there allows (a member's token with ``org:admin`` still cannot invite).
- Expiry is required, at most ``PERSONAL_ACCESS_TOKEN_MAX_DAYS`` (365) days away.
- An organization admin's revocation revokes the whole token, whichever organizations it reaches.
- A password reset (account recovery) and a deactivation revoke every token of the person; a
  password change does not (a token is independent of sessions); anonymising deletes them.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from config.credentials import SCOPES
from organizations.changes import Action, organization_change
from organizations.models import Membership
from pats import tokens
from pats.models import PersonalAccessToken

# A person's usable tokens at most; creation is also rate limited (RATELIMIT_TOKEN_CREATE_ACCOUNT).
MAX_ACTIVE_TOKENS = 100
# ``last_used_at`` is written at most this often per token, so a busy script costs no write per request.
LAST_USED_INTERVAL = timedelta(minutes=1)
# TOKEN_USED is audited at most this often per token, and at once from an address not seen last.
USE_AUDIT_INTERVAL = timedelta(hours=1)


def _organization_ids_check(*, user, organization_ids, all_organizations: bool) -> list:
    member_of = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
    if all_organizations:
        if organization_ids:
            raise ValidationError(
                {"organizations": ValidationError("Name organizations or ask for all of them, not both.", "invalid")}
            )
        if not member_of:
            raise ValidationError(
                {"all_organizations": ValidationError("You belong to no organization yet.", "no_organizations")}
            )
        return sorted(member_of)
    if not organization_ids:
        raise ValidationError(
            {
                "organizations": ValidationError(
                    "Name the organizations this token reaches, or set all_organizations.", "required"
                )
            }
        )
    unknown = set(organization_ids) - member_of
    if unknown:
        # Not "not yours": the same words for an organization that does not exist, as the API's 404s.
        raise ValidationError(
            {"organizations": ValidationError("You do not belong to one of these organizations.", "not_a_member")}
        )
    return sorted(set(organization_ids))


def _scopes_check(scopes) -> list[str]:
    if not scopes:
        raise ValidationError({"scopes": ValidationError("Choose at least one scope.", "required")})
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValidationError({"scopes": ValidationError(f"Unknown scope: {sorted(unknown)[0]}.", "invalid_choice")})
    return [scope for scope in SCOPES if scope in set(scopes)]  # the catalogue's order


def _expiry_check(expires_at):
    now = timezone.now()
    latest = now + timedelta(days=settings.PERSONAL_ACCESS_TOKEN_MAX_DAYS)
    if expires_at <= now:
        raise ValidationError({"expires_at": ValidationError("The expiry must be in the future.", "invalid")})
    if expires_at > latest:
        raise ValidationError(
            {
                "expires_at": ValidationError(
                    "A token expires within %(days)s days.",
                    "expiry_too_far",
                    params={"days": settings.PERSONAL_ACCESS_TOKEN_MAX_DAYS},
                )
            }
        )


@transaction.atomic
def token_create(
    *,
    user,
    name: str,
    scopes: list[str],
    expires_at,
    organization_ids: list | None = None,
    all_organizations: bool = False,
    request=None,
) -> tuple[PersonalAccessToken, str]:
    """A new token and its secret, which is returned here once and never stored."""
    scopes = _scopes_check(scopes)
    _expiry_check(expires_at)
    organization_ids = _organization_ids_check(
        user=user, organization_ids=organization_ids or [], all_organizations=all_organizations
    )
    active = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            ValidationError(
                "You have %(count)s usable tokens already: revoke some first.",
                "too_many_tokens",
                params={"count": MAX_ACTIVE_TOKENS},
            )
        )
    secret = tokens.token_generate()
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        token_prefix=tokens.display_prefix(secret),
        token_hash=tokens.token_hash(secret),
        scopes=scopes,
        expires_at=expires_at,
    )
    token.organizations.set(organization_ids)
    _organizations_tell(
        token,
        organization_ids,
        Action.TOKEN_CREATED,
        actor=user,
        after={"name": name, "token_prefix": token.token_prefix, "scopes": scopes, "expires_at": expires_at},
    )
    audit_record(
        kind=AuditEvent.Kind.TOKEN_CREATED,
        request=request,
        user=user,
        actor=user,
        data={
            "token_id": str(token.pk),
            "name": name,
            "token_prefix": token.token_prefix,
            "scopes": scopes,
            "organizations": [str(pk) for pk in organization_ids],
            "expires_at": expires_at.isoformat(),
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken, actor, request=None, reason: str = "owner", organization=None) -> bool:
    """Revoke a token: it fails on the very next request. False when it was revoked already."""
    now = timezone.now()
    revoked = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if not revoked:
        return False
    token.revoked_at, token.revoked_by = now, actor
    _organizations_tell(
        token,
        token.organizations.values_list("pk", flat=True),
        Action.TOKEN_REVOKED,
        actor=actor,
        before={"name": token.name, "token_prefix": token.token_prefix, "scopes": token.scopes},
        after={"revoked_at": now, "reason": reason},
    )
    data = {"token_id": str(token.pk), "name": token.name, "token_prefix": token.token_prefix, "reason": reason}
    if organization is not None:
        data["organization_id"] = str(organization.pk)
    audit_record(kind=AuditEvent.Kind.TOKEN_REVOKED, request=request, user=token.user, actor=actor, data=data)
    return True


def _organizations_tell(token: PersonalAccessToken, organization_ids, action: str, *, actor, **values) -> None:
    """Tell each organization the token reaches (its audit log): one change per organization."""
    for organization_id in organization_ids:
        organization_change(organization_id=organization_id, action=action, actor=actor, target=token, **values)


def token_revoke_all(*, user, reason: str) -> int:
    """Revoke every usable token of the person (account recovery, deactivation), each audited."""
    tokens_left = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).select_related("user")
    return sum(token_revoke(token=token, actor=None, reason=reason) for token in tokens_left)


def token_use_record(*, token: PersonalAccessToken, ip: str | None, request=None) -> None:
    """Note that the token was used: ``last_used_at``/``last_used_ip`` at most once a minute (or at once
    from a new address), and a TOKEN_USED audit event at most once an hour or from a new address.

    No write at all on most requests. The audit is claimed with a conditional update, so two requests
    racing write one event.
    """
    now = timezone.now()
    new_ip = ip != token.last_used_ip
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_INTERVAL
    audit_due = new_ip or token.use_audited_at is None or now - token.use_audited_at >= USE_AUDIT_INTERVAL
    if not (new_ip or stale or audit_due):
        return
    rows = PersonalAccessToken.objects.filter(pk=token.pk)
    if not audit_due:
        rows.update(last_used_at=now, last_used_ip=ip)
        return
    unchanged = (
        Q(use_audited_at__isnull=True) if token.use_audited_at is None else Q(use_audited_at=token.use_audited_at)
    )
    if rows.filter(unchanged).update(last_used_at=now, last_used_ip=ip, use_audited_at=now):
        audit_record(
            kind=AuditEvent.Kind.TOKEN_USED,
            request=request,
            user=token.user,
            data={
                "token_id": str(token.pk),
                "name": token.name,
                "token_prefix": token.token_prefix,
                "new_ip": new_ip and token.last_used_ip is not None,
            },
        )
    token.last_used_at, token.last_used_ip = now, ip
