"""Who is watching a stream, and which events they may see.

The same rules as the API's reads: the organizations the person belongs to (less those that require a
second factor the person lacks, as the tenant seam's lists do), within a delegated credential's
organizations and scopes; then each event's audience (``live.publish``).
"""

from dataclasses import dataclass, field
from uuid import UUID

from config.credentials import credential_organization_ids, credential_scopes
from organizations import access_cache


@dataclass
class Viewer:
    user_id: str
    scopes: frozenset[str] | None  # None: the person's own session, no scope limit
    organization_limit: frozenset[UUID] | None  # None: every organization of theirs
    roles: dict[str, int] = field(default_factory=dict)  # organization id -> role

    @classmethod
    def for_request(cls, request) -> "Viewer":
        viewer = cls(
            user_id=str(request.user.pk),
            scopes=credential_scopes(request),
            organization_limit=credential_organization_ids(request),
        )
        viewer.reload()
        return viewer

    def reload(self) -> None:
        """Read the person's memberships again (organizations.access_cache, which their change drops at once): a
        removed member stops seeing at once."""
        roles = access_cache.reach_of(UUID(self.user_id)).roles(granted=self.organization_limit)
        self.roles = {str(organization_id): role for organization_id, role in roles.items()}

    def must_reload(self, event: dict) -> bool:
        """Does this event change who the viewer is (their membership, or an organization of theirs)?"""
        audience = event.get("audience") or {}
        return self.user_id in audience.get("refresh", ()) or (
            bool(audience.get("refresh_organization")) and event.get("organization") in self.roles
        )

    def sees(self, event: dict) -> bool:
        audience = event.get("audience") or {}
        if self.scopes is not None and audience.get("scope") not in self.scopes:
            return False
        organization = event.get("organization")
        for_user, min_role = audience.get("user"), audience.get("role")
        if for_user is not None and for_user == self.user_id:
            # Theirs (a notification, their import, their own membership), within the credential's reach.
            if organization is None or self.organization_limit is None:
                return True
            return UUID(organization) in self.organization_limit
        role = self.roles.get(organization) if organization is not None else None
        if role is None:
            return False
        return role >= min_role if min_role is not None else for_user is None
