"""Reads of organizations, memberships and invitations, shaped for the serializers that render them.

Other apps use these (never the models' managers directly) to ask who belongs where:
``organization_access_get`` for "may this user act in that organization, and as what?",
``organization_id_list`` to scope a queryset to the caller's organizations, and
``users_share_organization`` for profile visibility.
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower

from accounts.models import User
from organizations.models import Invitation, Membership, Organization, Role, hash_token


@dataclass(frozen=True)
class OrganizationAccess:
    """What a user may do in one organization.

    ``membership`` is None for a superuser who is not a member; ``role`` is the role that
    counts for permission checks (superusers act as owners everywhere).
    """

    organization: Organization
    membership: Membership | None
    role: Role


def _as_uuid(value) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        return None


def membership_get(*, user: User, organization_id: UUID | str) -> Membership | None:
    """The user's membership in that organization (with the organization loaded), or None."""
    organization_id = _as_uuid(organization_id)
    if organization_id is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.select_related("organization").filter(organization_id=organization_id, user=user).first()


def organization_access_get(*, user: User, organization_id: UUID | str) -> OrganizationAccess | None:
    """None when the user may not see the organization (or it does not exist): callers answer 404."""
    organization_id = _as_uuid(organization_id)
    if organization_id is None:
        return None
    membership = membership_get(user=user, organization_id=organization_id)
    if getattr(user, "is_superuser", False):
        organization = (
            membership.organization if membership else Organization.objects.filter(pk=organization_id).first()
        )
        if organization is None:
            return None
        return OrganizationAccess(organization=organization, membership=membership, role=Role.OWNER)
    if membership is None:
        return None
    return OrganizationAccess(organization=membership.organization, membership=membership, role=Role(membership.role))


def organization_id_list(*, user: User) -> QuerySet:
    """The ids of the organizations the user belongs to, as a subquery for ``__in`` filters."""
    return Membership.objects.filter(user=user).values("organization_id")


def users_share_organization(user: User, other: User, *, organization_ids=None) -> bool:
    """May ``user`` see ``other``'s profile: a superuser, the same person, or a shared organization.

    ``organization_ids``: only through these organizations (a delegated credential's, which gets no
    superuser reach either); None for no such limit.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == other.pk or (user.is_superuser and organization_ids is None):
        return True
    shared = organization_id_list(user=user)
    if organization_ids is not None:
        shared = shared.filter(organization_id__in=organization_ids)
    return Membership.objects.filter(user=other, organization_id__in=shared).exists()


def user_get(*, viewer: User, user_id, organization_ids=None) -> User | None:
    """The user ``viewer`` may see: themself, or someone sharing an organization (superusers: anyone),
    through ``organization_ids`` only when given (see ``users_share_organization``)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not users_share_organization(viewer, user, organization_ids=organization_ids):
        return None
    return user


def organization_get_by_slug(*, slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug.lower()).first()


def organization_list(*, user: User) -> QuerySet[Organization]:
    """Organizations annotated with ``caller_role`` (the user's role, or None) and ``member_count``.

    Not limited to the user's organizations by itself: the views scope it (a superuser may open any).
    Subqueries rather than joins, so the counts stay right whatever filters are added.
    """
    caller_role = Membership.objects.filter(organization=OuterRef("pk"), user=user).values("role")[:1]
    member_count = (
        Membership.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Organization.objects.annotate(
        caller_role=Subquery(caller_role, output_field=IntegerField()),
        member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), Value(0)),
    ).order_by("name", "pk")


def organization_deleted_list(*, user: User) -> QuerySet[Organization]:
    """The deleted organizations ``user`` owned when they were deleted (superusers: every one), last deleted
    first: what they may restore. Through ``all_objects``: nothing else reads deleted organizations."""
    deleted = Organization.all_objects.filter(deleted_at__isnull=False)
    if not getattr(user, "is_superuser", False):
        owned = Membership.all_objects.filter(user=user, role=Role.OWNER).values("organization_id")
        deleted = deleted.filter(pk__in=owned)
    return deleted.select_related("deleted_by").order_by("-deleted_at", "pk")


def membership_list(*, organization: Organization | None) -> QuerySet[Membership]:
    """Members with their users, owners first."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("-role", "user__email", "pk")
    )


def invitation_list(*, organization: Organization | None) -> QuerySet[Invitation]:
    """Invitations newest first, with who sent them."""
    return (
        Invitation.objects.filter(organization=organization)
        .select_related("invited_by", "accepted_by")
        .order_by("-created_at", "pk")
    )


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a raw token from an email link belongs to, whatever its status."""
    return Invitation.objects.select_related("organization", "invited_by").filter(token_hash=hash_token(token)).first()


def organization_member_list(*, organization_id: UUID | str) -> QuerySet[User]:
    """The users who belong to the organization (for resolving assignees, mentions, import rows)."""
    return User.objects.filter(memberships__organization_id=organization_id)


def organization_member_ids_among(*, organization_id: UUID | str, user_ids) -> set:
    """Which of ``user_ids`` belong to the organization: one query."""
    ids = {str(uid) for uid in user_ids}
    if not ids:
        return set()
    members = Membership.objects.filter(organization_id=organization_id, user_id__in=ids)
    return {str(uid) for uid in members.values_list("user_id", flat=True)}


def organization_member_list_by_username(*, organization_id: UUID | str, usernames) -> list[User]:
    """Members whose @username is among ``usernames``, compared case-insensitively: one query."""
    handles = {name.lower() for name in usernames}
    if not handles:
        return []
    return list(
        organization_member_list(organization_id=organization_id)
        .annotate(handle=Lower("username"))
        .filter(handle__in=handles)
    )


def organization_admin_list(*, organization_id: UUID | str) -> QuerySet[User]:
    """The active owners and admins of the organization, by email: whom organization-wide mail goes to."""
    return User.objects.filter(
        is_active=True,
        memberships__organization_id=organization_id,
        memberships__role__gte=Role.ADMIN,
    ).order_by("email")
