"""Reads of personal access tokens: the person's list, an organization admin's list, the lookup by hash."""

from django.db.models import Prefetch, QuerySet
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
    """The token with this hash and its person (one query), or None."""
    return PersonalAccessToken.objects.select_related("user").filter(token_hash=token_hash).first()


def token_organization_ids(*, token: PersonalAccessToken) -> frozenset:
    """The ids of the organizations the token reaches (one query, without loading the organizations)."""
    return frozenset(
        TokenOrganization.objects.filter(personalaccesstoken_id=token.pk).values_list("organization_id", flat=True)
    )
