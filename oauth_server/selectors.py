"""Reads of the authorization server: grants as the person and organization admins see them."""

from django.db.models import Prefetch, QuerySet

from oauth_server.models import OAuthGrant
from organizations.models import Organization


def _grants() -> QuerySet[OAuthGrant]:
    return (
        OAuthGrant.objects.filter(revoked_at__isnull=True)
        .select_related("application", "user")
        .prefetch_related(Prefetch("organizations", queryset=Organization.objects.order_by("name")))
        .order_by("-created_at")
    )


def oauth_grant_list(*, user) -> QuerySet[OAuthGrant]:
    """The person's live grants: the programs that act for them."""
    return _grants().filter(user=user)


def oauth_grant_list_for_organization(*, organization_id) -> QuerySet[OAuthGrant]:
    """Live grants that reach ``organization_id``, whoever granted them."""
    return _grants().filter(organizations=organization_id)


def consent_organization_list(*, user) -> QuerySet[Organization]:
    """The organizations a person can grant a client: their own."""
    return Organization.objects.filter(memberships__user=user).order_by("name")
