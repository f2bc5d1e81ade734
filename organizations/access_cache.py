"""Which organizations a person reaches, with which role, and whether they have a second factor: what every
organization-scoped request asks before its own query, read from the cache (``config.person_cache``: the
entry is dropped at once when a membership of theirs, an organization of theirs or their second factor
changes) instead of one query per request.
"""

from dataclasses import dataclass
from uuid import UUID

from config import person_cache
from mfa import selectors as mfa_selectors
from organizations.models import Membership, members_changed


@dataclass(frozen=True)
class Reach:
    """A person's memberships of organizations that are not deleted: ``(organization_id, role, require_mfa)``
    each, and whether they have a confirmed second factor (read with them: False with no membership, where
    it decides nothing)."""

    memberships: tuple[tuple[UUID, int, bool], ...]
    second_factor: bool

    def organization_ids(self, *, granted=None, second_factor_required: bool = True) -> list[UUID]:
        """The organizations a list may show: within ``granted`` (a delegated credential's, None for no limit),
        less those that require a second factor the person lacks unless ``second_factor_required`` is False."""
        return [
            organization_id
            for organization_id, _role, require_mfa in self.memberships
            if (granted is None or organization_id in granted)
            and (not second_factor_required or not require_mfa or self.second_factor)
        ]

    def roles(self, *, granted=None) -> dict[UUID, int]:
        """``{organization_id: role}`` of the organizations a list may show (``organization_ids``)."""
        roles = {organization_id: role for organization_id, role, _require_mfa in self.memberships}
        return {organization_id: roles[organization_id] for organization_id in self.organization_ids(granted=granted)}


def reach(user) -> Reach:
    """``user``'s ``Reach``: one cache read (none of the database) while nothing of theirs changed."""
    return reach_of(user.pk, generation=getattr(user, "person_cache_generation", None))


def reach_of(user_id, *, generation: str | None = None) -> Reach:
    """``reach`` by the person's id (``generation``: theirs, when this request read it already)."""
    return person_cache.cached("reach", user_id, lambda: _load(user_id), generation=generation)


def _load(user_id) -> Reach:
    """One query: the memberships with the second factor beside each (it decides nothing without one)."""
    rows = (
        Membership.objects.filter(user_id=user_id)
        .annotate(second_factor=mfa_selectors.second_factor_exists(user=user_id))
        .values_list("organization_id", "role", "organization__require_mfa", "second_factor")
    )
    rows = list(rows)
    return Reach(
        memberships=tuple((organization_id, role, require_mfa) for organization_id, role, require_mfa, _ in rows),
        second_factor=any(second_factor for *_, second_factor in rows),
    )


def organization_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """``post_save`` of an organization: its members' reach changes with ``require_mfa`` (and deletion)."""
    if update_fields is None or {"require_mfa", "deleted_at"} & set(update_fields):
        members_changed(instance.pk)
