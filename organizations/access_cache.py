"""Which organizations a person reaches, with which role and language, and whether they have a second factor:
what every organization-scoped request asks before its own query, read from the cache (``config.person_cache``: the
entry is dropped at once when a membership of theirs, an organization of theirs or their second factor
changes) instead of one query per request.
"""

from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

from config import person_cache
from mfa import selectors as mfa_selectors
from organizations.models import Membership


class Member(NamedTuple):
    """One membership as the scoping reads it."""

    organization_id: UUID
    role: int
    require_mfa: bool
    language: str  # the organization's: its tasks are searched in it


@dataclass(frozen=True)
class Reach:
    """A person's memberships of organizations that are not deleted, and whether they have a confirmed second
    factor (read with them: False with no membership, where it decides nothing)."""

    memberships: tuple[Member, ...]
    second_factor: bool

    def organization_ids(self, *, granted=None, second_factor_required: bool = True) -> list[UUID]:
        """The organizations a list may show: within ``granted`` (a delegated credential's, None for no limit),
        less those that require a second factor the person lacks unless ``second_factor_required`` is False."""
        return [
            member.organization_id
            for member in self.memberships
            if (granted is None or member.organization_id in granted)
            and (not second_factor_required or not member.require_mfa or self.second_factor)
        ]

    def roles(self, *, granted=None) -> dict[UUID, int]:
        """``{organization_id: role}`` of the organizations a list may show (``organization_ids``)."""
        roles = {member.organization_id: member.role for member in self.memberships}
        return {organization_id: roles[organization_id] for organization_id in self.organization_ids(granted=granted)}

    def languages(self) -> list[str]:
        """The languages of the person's organizations, each once."""
        return sorted({member.language for member in self.memberships})


# The entry's name; a new shape of ``Reach`` takes a new one, so that no process reads an entry another wrote.
ENTRY = "reach.1"
person_cache.read_with_user(ENTRY)  # every organization-scoped request reads it after authenticating


def reach(user) -> Reach:
    """``user``'s ``Reach``: from the cache (read with the user when a session authenticated the request), none
    of the database while nothing of theirs changed."""
    return reach_of(user.pk, known=getattr(user, "person_cache", None))


def reach_of(user_id, *, known: person_cache.Known | None = None) -> Reach:
    """``reach`` by the person's id (``known``: what this request read of their cache already)."""
    return person_cache.cached(ENTRY, user_id, lambda: _load(user_id), known=known)


def _load(user_id) -> Reach:
    """One query: the memberships with the second factor beside each (it decides nothing without one)."""
    rows = (
        Membership.objects.filter(user_id=user_id)
        .annotate(second_factor=mfa_selectors.second_factor_exists(user=user_id))
        .values_list("organization_id", "role", "organization__require_mfa", "organization__language", "second_factor")
    )
    rows = list(rows)
    return Reach(
        memberships=tuple(Member(*row[:-1]) for row in rows),
        second_factor=any(row[-1] for row in rows),
    )


def organization_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """``post_save`` of an organization: its members' reach changes with ``require_mfa``, its ``language`` and
    its deletion."""
    if update_fields is None or {"require_mfa", "language", "deleted_at"} & set(update_fields):
        person_cache.changed(
            Membership.all_objects.filter(organization_id=instance.pk).values_list("user_id", flat=True)
        )
