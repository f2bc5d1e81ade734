"""Reads of personal access tokens: the person's list, an organization admin's list, the lookup by hash."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

from organizations.models import Organization
from pats.models import PersonalAccessToken

TokenOrganization = PersonalAccessToken.organizations.through


def token_list(*, user) -> QuerySet[PersonalAccessToken]:
    """The person's tokens that are not revoked (expired ones included, to be cleaned up), newest first."""
    return (
        PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True)
        .prefetch_related(Prefetch("organizations", queryset=Organization.objects.order_by("name", "pk")))
        .order_by("-created_at", "-id")
    )


def token_list_for_organization() -> QuerySet[PersonalAccessToken]:
    """Usable tokens (neither revoked nor expired) with their person, for an organization's admins.

    The tenant seam limits it to one organization (``organization_field = "organizations"``); the view
    keeps the tokens of people who are still members (a former member's token reaches nothing there).
    """
    return (
        PersonalAccessToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def token_get_for_authentication(*, token_hash: str) -> PersonalAccessToken | None:
    """The token with this hash, its person and the ids of its organizations: one query."""
    organization_ids = TokenOrganization.objects.filter(personalaccesstoken_id=OuterRef("pk")).values("organization_id")
    return (
        PersonalAccessToken.objects.select_related("user")
        .annotate(organization_id_list=ArraySubquery(organization_ids))
        .filter(token_hash=token_hash)
        .first()
    )
