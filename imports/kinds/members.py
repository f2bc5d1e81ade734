"""Importing members: existing users whose email is verified become members, other addresses (an
account whose email is not verified among them: whoever registered it may not own the address) are
invited, through
``organizations.services`` (``membership_add``, ``invitation_create``, whose email goes out once the
batch commits), so the role rules are the ones the API applies."""

from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from accounts.models import User, normalize_email
from config.errors import SERVICE_ERRORS, Conflict, error_items
from imports.csv_source import HeaderMatch
from imports.kinds.base import ABSENT, CsvImport, LoadResult, Problem, Validator, too_many_cells
from organizations import selectors as org_selectors
from organizations import services as org_services
from organizations.models import Role

EMAIL_MAX_LENGTH = 254
# Roles an import may grant. Owners are never imported: making someone an owner is a decision an
# owner takes for one person through the members endpoint, not a line in a file an admin uploads.
IMPORTABLE_ROLES = (Role.VIEWER, Role.MEMBER, Role.ADMIN)
ROLE_LOOKUP = {role.label: role for role in Role}
MAX_SKIP_WARNINGS = 50


class MemberRow(NamedTuple):
    email: str
    role: Role


def member_validator(match: HeaderMatch) -> Validator:
    """Validate member rows: a valid email, and a role an import may grant (``member`` when blank)."""
    width = match.width
    email_at = match.positions.get("email", ABSENT)
    role_at = match.positions.get("role", ABSENT)
    role_labels = ", ".join(role.label for role in IMPORTABLE_ROLES)

    def validate(cells: list[str]):
        count = len(cells)
        if count > width:
            return too_many_cells(count, width)
        problems = []
        raw_email = cells[email_at].strip() if email_at < count else ""
        email = normalize_email(raw_email)
        if not email:
            problems.append(Problem("email", "required", "An email is required."))
        elif len(email) > EMAIL_MAX_LENGTH:
            problems.append(Problem("email", "invalid_email", "This email address is too long.", raw_email))
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(Problem("email", "invalid_email", "Enter a valid email address.", raw_email))
        raw_role = cells[role_at].strip() if role_at < count else ""
        role = ROLE_LOOKUP.get(raw_role.lower()) if raw_role else Role.MEMBER
        if role is None:
            problems.append(Problem("role", "invalid_choice", f"Expected one of {role_labels}.", raw_role))
        elif role not in IMPORTABLE_ROLES:
            problems.append(
                Problem(
                    "role",
                    "role_not_importable",
                    "Owners cannot be imported; an owner grants that role from the members list.",
                    raw_role,
                )
            )
        if problems:
            return problems
        return MemberRow(email, role)

    return validate


class MemberImport(CsvImport):
    """Existing users with a verified email become members; other addresses are invited. Rows for
    someone who is already a member, or already has a pending invitation, are skipped (counted, with a
    warning), not failed: importing the same list twice is harmless and an all-or-nothing import is not
    refused for it."""

    kind = "members"
    columns = ("email", "role")
    required = ("email",)

    @property
    def batch_size(self) -> int:
        # Member rows go through the organizations services one by one: smaller batches.
        return min(settings.IMPORT_BATCH_SIZE, settings.IMPORT_MEMBER_BATCH_SIZE)

    @property
    def actor(self) -> User | None:
        # The services check the actor's role; an operator's job acts as the operator (None).
        return None if self.job.by_operator else self.job.created_by

    def validator(self, match: HeaderMatch) -> Validator:
        return member_validator(match)

    def load(self, rows: list[tuple[int, MemberRow]]) -> LoadResult:
        organization = self.job.organization
        emails = {row.email for _, row in rows}
        # Who exists (verified), who is a member, who has an open invitation: three queries per batch.
        users = set(
            User.objects.filter(email__in=emails, email_verified_at__isnull=False).values_list("email", flat=True)
        )
        members = set(
            org_selectors.organization_member_list(organization_id=organization.pk)
            .filter(email__in=emails)
            .values_list("email", flat=True)
        )
        invited = {
            invitation.email.lower(): invitation
            for invitation in org_selectors.invitation_list(organization=organization).filter(
                email__in=emails, accepted_at__isnull=True, revoked_at__isnull=True
            )
        }
        now = timezone.now()
        result = LoadResult()
        added = invitations = 0
        seen = set()
        for line, row in rows:
            reason = None
            if row.email in seen:
                reason = "appears earlier in the file"
            elif row.email in members:
                reason = "is already a member"
            elif row.email not in users and row.email in invited and invited[row.email].expires_at > now:
                reason = "already has a pending invitation"
            seen.add(row.email)
            if reason is None:
                try:
                    if row.email in users:
                        org_services.membership_add(
                            organization=organization, email=row.email, role=row.role, actor=self.actor
                        )
                        added += 1
                    else:
                        org_services.invitation_create(
                            organization=organization, email=row.email, role=row.role, invited_by=self.actor
                        )
                        invitations += 1
                    continue
                except Conflict:  # a member or an invitation appeared meanwhile (or earlier in the file)
                    reason = "is already a member or invited"
                except SERVICE_ERRORS as exc:
                    result.rejected += 1
                    result.problems.extend(
                        (line, Problem("email", code, message, row.email)) for _field, code, message in error_items(exc)
                    )
                    continue
            result.skipped += 1
            if len(result.warnings) < MAX_SKIP_WARNINGS:
                result.warnings.append(f"Line {line}: {row.email} {reason}; skipped.")
        result.created = added + invitations
        result.summary = {"members_added": added, "invited": invitations}
        return result
