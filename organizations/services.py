"""Writes to organizations, memberships and invitations, with the rules they must keep.

Each service takes an ``actor``: the user acting through the API, or None for an operator
(management commands, the Django admin), who is trusted with any role change but still cannot
break an invariant such as "an organization always keeps an owner". The views' permission
classes gate by role early; the services enforce the rules that depend on the data (whom an
admin may touch, which role they may grant, the last owner), so that every entry point obeys them.

Failures are Django's ``ValidationError`` or the application errors of ``config.errors``, which
the API answers in the error envelope, the admin shows as messages and the commands as ``CommandError``.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User, normalize_email
from accounts.services import user_email_mark_verified
from config.errors import Conflict, Forbidden, Gone, NotFound
from config.jobs import job_claim, job_failed_attempt, job_finish, job_heartbeat, truncate_error
from config.languages import DEFAULT_SEARCH_LANGUAGE
from config.retention import delete_in_batches
from config.services import model_update
from mfa import selectors as mfa_selectors
from organizations import selectors
from organizations.changes import Action, organization_change
from organizations.models import (
    Invitation,
    InvitationEmail,
    InvitationEmailState,
    Membership,
    Organization,
    Role,
    hash_token,
    role_can_manage,
)

logger = logging.getLogger(__name__)

SLUG_MAX_LENGTH = Organization._meta.get_field("slug").max_length


# --- Organizations -------------------------------------------------------------------------


def _slug_taken(slug: str, *, exclude: Organization | None = None) -> bool:
    queryset = Organization.objects.filter(slug=slug)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.exists()


def _derive_slug(name: str) -> str:
    """The name's slug, suffixed ``-2``, ``-3``, ... until it is free."""
    base = (slugify(name) or "organization")[: SLUG_MAX_LENGTH - 6].strip("-") or "organization"
    taken = set(Organization.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _slug_conflict() -> ValidationError:
    return ValidationError({"slug": ValidationError("This slug is already taken.", code="unique")})


@transaction.atomic
def organization_create(
    *, name: str, created_by: User, slug: str | None = None, language: str = DEFAULT_SEARCH_LANGUAGE
) -> Organization:
    """Create an organization whose creator becomes its first owner.

    Without a slug, one is derived from the name and made unique; a given slug must be free.
    """
    name = name.strip()
    if slug:
        slug = slug.lower()
        if _slug_taken(slug):
            raise _slug_conflict()
    # Two requests deriving the same slug at once: the loser retries with the next suffix.
    for _attempt in range(3):
        candidate = slug or _derive_slug(name)
        try:
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, slug=candidate, created_by=created_by, language=language
                )
        except IntegrityError:
            if slug:
                raise _slug_conflict() from None
            continue
        Membership.objects.create(organization=organization, user=created_by, role=Role.OWNER)
        organization_change(
            organization_id=organization.pk,
            action=Action.ORGANIZATION_CREATED,
            actor=created_by,
            target=organization,
            after={"name": organization.name, "slug": organization.slug},
        )
        return organization
    raise Conflict("Could not choose a free slug for this name; give one explicitly.")


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str | None = None,
    slug: str | None = None,
    require_mfa: bool | None = None,
    language: str | None = None,
    actor: User | None = None,
) -> Organization:
    """Rename, change the slug or the language, or (owners) require a second factor of every member. A new
    language is told with the change (``organization_changed``): the tasks app indexes the tasks again in it."""
    data = {}
    if language is not None:
        data["language"] = language
    if require_mfa is not None and require_mfa != organization.require_mfa:
        organization_require_mfa_check(organization=organization, actor=actor, require_mfa=require_mfa)
        data["require_mfa"] = require_mfa
    if name is not None:
        data["name"] = name.strip()
    if slug is not None:
        data["slug"] = slug.lower()
        if _slug_taken(data["slug"], exclude=organization):
            raise _slug_conflict()
    before = {name: getattr(organization, name) for name in data}
    try:
        with transaction.atomic():
            organization, changed = model_update(
                instance=organization, fields=["name", "slug", "require_mfa", "language"], data=data
            )
    except IntegrityError:
        raise _slug_conflict() from None
    if changed:
        organization_change(
            organization_id=organization.pk,
            action=Action.ORGANIZATION_UPDATED,
            actor=actor,
            target=organization,
            before={name: before[name] for name in changed},
            after={name: getattr(organization, name) for name in changed},
        )
    return organization


NAME_MISMATCH = "Type the organization's name exactly as it is to delete it."


@transaction.atomic
def organization_delete(
    *, organization: Organization, actor: User | None = None, password: str | None = None, name: str | None = None
) -> Organization:
    """Move the organization to the trash (its owners): it answers 404 to everyone at once, with its
    tasks, members, invitations and everything in it, until an owner restores it (``organization_restore``)
    within ``ORGANIZATION_RESTORE_DAYS``, after which ``organizations_purge`` deletes it for good.

    A person proves it is meant: their ``password`` (unless ``None``: the view accepted a recent
    re-authentication instead) and the organization's ``name`` typed back. An operator (``actor`` None)
    is not asked.
    """
    if actor is not None:
        organization_role_require(
            organization_id=organization.pk,
            actor=actor,
            minimum=Role.OWNER,
            message="Only owners delete an organization.",
        )
        errors = {}
        if password is not None and not actor.check_password(password):
            errors["password"] = ValidationError("The password is incorrect.", code="invalid")
        if name is None or name.strip() != organization.name:
            errors["name"] = ValidationError(NAME_MISMATCH, code="name_mismatch")
        if errors:
            raise ValidationError(errors)
    if not organization.soft_delete(by=actor):
        raise NotFound()
    organization_change(
        organization_id=organization.pk,
        action=Action.ORGANIZATION_DELETED,
        actor=actor,
        target=organization,
        before={"name": organization.name, "slug": organization.slug},
        after={"restorable_until": organization_restorable_until(organization)},
    )
    return organization


def organization_restorable_until(organization: Organization):
    """When a deleted organization can no longer be restored (its purge may run from then on)."""
    return organization.deleted_at + timedelta(days=settings.ORGANIZATION_RESTORE_DAYS)


@transaction.atomic
def organization_restore(*, organization_id, actor: User | None = None) -> Organization:
    """Bring a deleted organization back with everything in it: those who were its owners when it was
    deleted (and superusers, and operators). 404 for anyone else who was not a member, 403 for other
    members, 410 ``restore_window_over`` past ``ORGANIZATION_RESTORE_DAYS``, 409 when its slug was taken
    meanwhile (change the other organization's slug first)."""
    organization = (
        Organization.all_objects.select_for_update().filter(pk=organization_id, deleted_at__isnull=False).first()
    )
    if organization is None:
        raise NotFound()
    if actor is not None and not actor.is_superuser:
        membership = Membership.all_objects.filter(organization=organization, user=actor).first()
        if membership is None:
            raise NotFound()
        if membership.role < Role.OWNER:
            raise Forbidden("Only owners restore an organization.")
    if organization_restorable_until(organization) <= timezone.now():
        raise Gone("This organization was deleted too long ago to be restored.", code="restore_window_over")
    if _slug_taken(organization.slug):
        raise Conflict(
            f"Another organization has taken the slug {organization.slug!r} meanwhile: give it another slug first.",
            code="slug_taken",
        )
    deleted_at = organization.deleted_at
    try:
        with transaction.atomic():
            organization.undelete()
    except IntegrityError:  # the slug, taken by a concurrent create
        raise Conflict(f"Another organization has taken the slug {organization.slug!r}.", code="slug_taken") from None
    organization_change(
        organization_id=organization.pk,
        action=Action.ORGANIZATION_RESTORED,
        actor=actor,
        target=organization,
        before={"deleted_at": deleted_at},
        after={"name": organization.name, "slug": organization.slug},
    )
    return organization


def organizations_purge(*, now, batch_size: int, dry_run: bool) -> int:
    """Retention policy ``deleted_organizations``: organizations deleted more than ``ORGANIZATION_RESTORE_DAYS``
    ago, deleted for good with everything in them. What points at an organization (its tasks with their
    comments and activity, memberships, invitations, imports, exports, notifications...) goes first, in
    batches of ``batch_size`` per transaction, so no statement locks more than that; the organization row
    last. Returns how many organizations."""
    expired = Organization.all_objects.filter(deleted_at__lt=now - timedelta(days=settings.ORGANIZATION_RESTORE_DAYS))
    if dry_run:
        return expired.count()
    purged = 0
    for organization in expired.order_by("deleted_at", "pk").iterator():
        for relation in Organization._meta.related_objects:
            if relation.on_delete is not models.CASCADE or relation.many_to_many:
                continue
            rows = relation.related_model._base_manager.filter(**{relation.field.name: organization})
            delete_in_batches(rows, batch_size=batch_size, dry_run=False)
        with transaction.atomic():
            organization_change(
                organization_id=organization.pk,
                action=Action.ORGANIZATION_PURGED,
                actor=None,
                target=organization,
                before={"name": organization.name, "slug": organization.slug, "deleted_at": organization.deleted_at},
            )
            purged += (
                Organization.all_objects.filter(pk=organization.pk, deleted_at__isnull=False)
                .delete()[1]
                .get(Organization._meta.label, 0)
            )
    return purged


# --- Role rules ------------------------------------------------------------------------------
# The rules that need data, written once: the API, the admin, the CSV import and the operator
# commands all go through these. ``actor`` None is an operator (a command, the admin): trusted with
# any role, but held to the invariants.


def organization_role_require(*, organization_id, actor: User | None, minimum: Role, message: str) -> Role:
    """The actor's role in the organization; ``Forbidden`` with ``message`` when below ``minimum``."""
    if actor is None:
        return Role.OWNER
    access = selectors.organization_access_get(user=actor, organization_id=organization_id)
    if access is None or access.role < minimum:
        raise Forbidden(message)
    return access.role


def membership_role_require_manage(*, organization_id, actor: User | None, target_roles: tuple[int, ...]) -> None:
    """Admins manage members below owner and grant roles below owner; owners manage and grant any role."""
    actor_role = organization_role_require(
        organization_id=organization_id,
        actor=actor,
        minimum=Role.ADMIN,
        message="Only admins and owners manage members.",
    )
    if not all(role_can_manage(actor_role, role) for role in target_roles):
        raise Forbidden("Only owners manage owners or grant the owner role.")


def organization_require_mfa_check(*, organization: Organization, actor: User | None, require_mfa: bool) -> None:
    """Only owners require (or stop requiring) a second factor of the members; an owner switching it on
    must have one themself, or the first person it locks out is them (409 ``mfa_not_enabled``)."""
    organization_role_require(
        organization_id=organization.pk,
        actor=actor,
        minimum=Role.OWNER,
        message="Only owners decide whether members need a second factor.",
    )
    if require_mfa and actor is not None and not mfa_selectors.user_has_second_factor(user=actor):
        raise Conflict(
            "Turn on two-factor sign-in for your own account first (POST /users/me/mfa/totp).", code="mfa_not_enabled"
        )


LAST_OWNER_MESSAGE = (
    "An organization must keep at least one owner: this is its last owner; make another member owner first."
)


def organization_owner_require(*, organization_id, losing: set, gaining: bool = False, lock: bool = True) -> None:
    """Refuse (``Conflict``) a change after which the organization would have no owner.

    ``losing`` are the memberships the change demotes or removes; ``gaining`` says whether it makes
    someone else owner. With ``lock`` (inside a transaction), the owners are locked first, so two
    concurrent demotions cannot both pass.
    """
    if gaining:
        return
    owners = Membership.objects.filter(organization_id=organization_id, role=Role.OWNER)
    if lock:
        owners = owners.select_for_update()
    if {pk for pk in owners.values_list("pk", flat=True) if pk not in losing}:
        return
    raise Conflict(LAST_OWNER_MESSAGE)


# --- Memberships ---------------------------------------------------------------------------


def _user_by_email(email: str) -> User:
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        raise ValidationError(
            {
                "email": ValidationError(
                    "No user has this email address; send them an invitation instead.", code="user_not_found"
                )
            }
        )
    return user


def _member_already(organization: Organization, user: User) -> None:
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict("This user is already a member of the organization.")


@transaction.atomic
def membership_add(*, organization: Organization, email: str, role: Role, actor: User | None) -> Membership:
    """Add an existing user, found by email, with a role. Unknown email: 400; already a member: 409.

    The account's address must be verified (400 ``email_not_verified``): anyone can register with
    someone else's address, so an unverified account is never let in by its email; invite the
    address instead (``membership_add_or_invite`` does).
    """
    membership_role_require_manage(organization_id=organization.pk, actor=actor, target_roles=(role,))
    user = _user_by_email(email)
    _member_already(organization, user)
    if not user.email_verified:
        raise ValidationError(
            {
                "email": ValidationError(
                    "This account's email address is not verified; invite the address instead.",
                    code="email_not_verified",
                )
            }
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(organization=organization, user=user, role=role)
    except IntegrityError:
        raise Conflict("This user is already a member of the organization.") from None
    _member_change(Action.MEMBER_ADDED, membership, actor, after={"user": user.pk, "role": Role(role).label})
    return membership


def _member_change(action: str, membership: Membership, actor, **values) -> None:
    organization_change(
        organization_id=membership.organization_id, action=action, actor=actor, target=membership, **values
    )


@transaction.atomic
def membership_add_or_invite(
    *, organization: Organization, email: str, role: Role, actor: User | None
) -> Membership | Invitation:
    """Add someone by email: the account, if its address is verified; otherwise an invitation to the
    address, whose acceptance proves the address (and verifies it). So whoever registered with another
    person's address is never let in by that address. Unknown email: 400 ``user_not_found``."""
    membership_role_require_manage(organization_id=organization.pk, actor=actor, target_roles=(role,))
    user = _user_by_email(email)
    if user.email_verified:
        return membership_add(organization=organization, email=email, role=role, actor=actor)
    _member_already(organization, user)
    return invitation_create(organization=organization, email=email, role=role, invited_by=actor)


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role, actor: User | None) -> Membership:
    """Change a member's role.

    Admins change roles below owner only and never grant owner; owners change anyone's. The last
    owner cannot be demoted (409), and nobody changes their own role (403).
    """
    membership_role_require_manage(
        organization_id=membership.organization_id, actor=actor, target_roles=(membership.role, role)
    )
    if membership.role == Role.OWNER and role != Role.OWNER:
        organization_owner_require(organization_id=membership.organization_id, losing={membership.pk})
    if actor is not None and actor.pk == membership.user_id:
        raise Forbidden("You cannot change your own role.")
    if membership.role != role:
        before = Role(membership.role).label
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        _member_change(
            Action.MEMBER_ROLE_CHANGED,
            membership,
            actor,
            before={"role": before},
            after={"user": membership.user_id, "role": Role(role).label},
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User | None) -> None:
    """Remove a member, or let a member leave. Owners are removed only by owners; the last owner stays (409)."""
    leaving = actor is not None and actor.pk == membership.user_id
    if not leaving:
        membership_role_require_manage(
            organization_id=membership.organization_id, actor=actor, target_roles=(membership.role,)
        )
    if membership.role == Role.OWNER:
        organization_owner_require(organization_id=membership.organization_id, losing={membership.pk})
    before = {"user": membership.user_id, "role": Role(membership.role).label}
    membership_id = membership.pk
    membership.delete()
    membership.pk = membership_id  # the change names the membership it was
    _member_change(Action.MEMBER_REMOVED, membership, actor, before=before)


# --- Invitations ---------------------------------------------------------------------------


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def _email_later(invitation: Invitation) -> InvitationEmail:
    """A new email of the invitation's link, sent by a worker once this transaction commits.

    Emails of this invitation not sent yet are superseded (a worker that claimed one stops before
    sending), so a resend never leaves two working links. The caller holds the invitation's lock.
    """
    now = timezone.now()
    InvitationEmail.objects.filter(
        invitation=invitation, state__in=[InvitationEmailState.PENDING, InvitationEmailState.SENDING]
    ).update(state=InvitationEmailState.SUPERSEDED, updated_at=now)
    email = InvitationEmail.objects.create(invitation=invitation, created_at=now, updated_at=now, next_attempt_at=now)
    InvitationEmail.job_enqueue(email.pk)
    return email


@transaction.atomic
def invitation_create(*, organization: Organization, email: str, role: Role, invited_by: User | None) -> Invitation:
    """Invite an email address with a role and email it a one-time link (after commit, by Celery).

    Admins invite below owner; an address that is already a member, or that has a pending
    invitation that has not expired, is a 409. An expired pending invitation is revoked and replaced.
    """
    membership_role_require_manage(organization_id=organization.pk, actor=invited_by, target_roles=(role,))
    email = normalize_email(email)
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        raise Conflict("This email address belongs to a member of the organization already.")
    previous = (
        Invitation.objects.select_for_update()
        .filter(organization=organization, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if previous is not None:
        if previous.expires_at > timezone.now():
            raise Conflict("This email address has a pending invitation already; resend it instead.")
        previous.revoked_at = timezone.now()
        previous.save(update_fields=["revoked_at"])
        _invitation_change(
            Action.INVITATION_REVOKED, previous, invited_by, after={"revoked_at": previous.revoked_at, "expired": True}
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                invited_by=invited_by,
                expires_at=_expiry(),
            )
    except IntegrityError:
        raise Conflict("This email address has a pending invitation already; resend it instead.") from None
    _email_later(invitation)
    _invitation_change(Action.INVITATION_CREATED, invitation, invited_by, after=_invitation_values(invitation))
    return invitation


def _invitation_values(invitation: Invitation) -> dict:
    return {"email": invitation.email, "role": Role(invitation.role).label, "expires_at": invitation.expires_at}


def _invitation_change(action: str, invitation: Invitation, actor, **values) -> None:
    organization_change(
        organization_id=invitation.organization_id, action=action, actor=actor, target=invitation, **values
    )


def _invitation_lock_to_manage(invitation: Invitation, *, actor: User | None) -> Invitation:
    """The invitation, locked, once the actor may manage its role (``Forbidden`` otherwise)."""
    membership_role_require_manage(
        organization_id=invitation.organization_id, actor=actor, target_roles=(invitation.role,)
    )
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Send a new link: the old link stops working now, the new one is made as it is sent; a renewed expiry."""
    invitation = _invitation_lock_to_manage(invitation, actor=actor)
    if not invitation.is_open:
        raise Conflict(f"This invitation is {invitation.status} and cannot be resent.")
    before = {"expires_at": invitation.expires_at}
    invitation.token_hash = None
    invitation.expires_at = _expiry()
    invitation.sent_at = None
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at"])
    _email_later(invitation)
    _invitation_change(
        Action.INVITATION_RESENT, invitation, actor, before=before, after={"expires_at": invitation.expires_at}
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Make the link unusable. Revoking twice is harmless; an accepted invitation cannot be revoked (409)."""
    invitation = _invitation_lock_to_manage(invitation, actor=actor)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has been accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _invitation_change(
            Action.INVITATION_REVOKED,
            invitation,
            actor,
            before=_invitation_values(invitation),
            after={"revoked_at": invitation.revoked_at},
        )
    return invitation


def invitation_usable_require(invitation: Invitation) -> None:
    """Raise 410 with a code saying why a token can no longer be used."""
    if invitation.revoked_at is not None:
        raise Gone("This invitation has been revoked.", code="invitation_revoked")
    if invitation.accepted_at is not None:
        raise Gone("This invitation has already been used.", code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise Gone("This invitation has expired; ask for a new one.", code="invitation_expired")


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the organization with the invited role.

    The signed-in user's email must be the invited one (403 ``invitation_email_mismatch``);
    the token must be unused, unrevoked and unexpired (410); a member already is a 409.
    """
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=invitation.pk)
    invitation_usable_require(invitation)
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise Forbidden(
            "This invitation was sent to another email address; sign in with that address to accept it.",
            code="invitation_email_mismatch",
        )
    if Membership.objects.filter(organization=invitation.organization, user=user).exists():
        raise Conflict("You are already a member of this organization.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organization=invitation.organization, user=user, role=invitation.role
            )
    except IntegrityError:
        raise Conflict("You are already a member of this organization.") from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # The link reached this address and its account's holder used it: the address is theirs.
    user_email_mark_verified(user=user, method="invitation")
    organization_change(
        organization_id=invitation.organization_id,
        action=Action.INVITATION_ACCEPTED,
        actor=user,
        target=invitation,
        after={"email": invitation.email, "role": Role(invitation.role).label},
    )
    _member_change(Action.MEMBER_ADDED, membership, user, after={"user": user.pk, "role": Role(membership.role).label})
    return membership


def invitation_email_send(*, email_id) -> str:
    """Send one invitation email, if it is still to be sent; returns the email's state after this run.

    Safe to run twice (the row is claimed first). The token is made here: its hash replaces the
    invitation's under the invitation's lock, and only while this run still holds the row, so an email
    superseded by a resend, or whose invitation was closed, sends nothing. A failed send is retried
    with a new token (the sweep sends it again after its backoff) and given up after its attempts.
    """
    email = job_claim(
        InvitationEmail,
        email_id,
        queryset=InvitationEmail.objects.select_related("invitation__organization", "invitation__invited_by"),
    )
    if email is None:
        return InvitationEmail.objects.filter(pk=email_id).values_list("state", flat=True).first() or "missing"
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update(of=("self",)).filter(pk=email.invitation_id).first()
        if invitation is None or not job_heartbeat(email):  # superseded (or deleted) while this run waited
            return InvitationEmail.objects.filter(pk=email_id).values_list("state", flat=True).first() or "missing"
        if not invitation.is_open:
            job_finish(email, InvitationEmailState.SUPERSEDED, last_error=f"The invitation is {invitation.status}.")
            return email.state
        invitation.token_hash = hash_token(token)
        invitation.sent_at = None
        invitation.save(update_fields=["token_hash", "sent_at"])
    try:
        _invitation_message(invitation, token).send()
    except Exception as exc:
        logger.warning("Invitation email %s attempt %s failed", email.pk, email.attempts, exc_info=True)
        job_failed_attempt(email, error=truncate_error(exc))  # the sweep sends it again after the backoff
        return email.state
    now = timezone.now()
    if job_finish(email, InvitationEmailState.SENT, sent_at=now, last_error=""):
        Invitation.objects.filter(pk=invitation.pk, token_hash=invitation.token_hash).update(sent_at=now)
    logger.info("Invitation %s emailed", invitation.pk)
    return email.state


def _invitation_message(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    context = {
        "organization": invitation.organization,
        "invited_by": invitation.invited_by,
        "role": invitation.get_role_display(),
        "link": f"{settings.FRONTEND_URL.rstrip('/')}/invitations/{token}",
        "expires_at": invitation.expires_at,
    }
    subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return message
