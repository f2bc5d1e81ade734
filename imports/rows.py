"""Validating CSV rows with plain code: no serializer, no ``full_clean``, no query per row.

PERFORMANCE.md: a DRF serializer per row validates 2,800 rows/s and ``full_clean`` 1,100; the
checks below are the same rules (the model's lengths, the API's labels, membership) written as
dictionary lookups and string tests, which is what keeps an import near COPY speed. Anything
that needs the database (who is a member) is resolved once per job and passed in.

A validator takes a row's cells and returns either the row to load or a list of ``Problem``.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import normalize_email
from imports.csv_source import HeaderMatch
from organizations.models import Role
from tasks_app.bulk import TaskLoadRow
from tasks_app.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Priority, Status

TASK_COLUMNS = ("title", "description", "status", "priority", "assignee_email", "due_date")
TASK_REQUIRED = ("title",)
MEMBER_COLUMNS = ("email", "role")
MEMBER_REQUIRED = ("email",)
EMAIL_MAX_LENGTH = 254
# Roles an import may grant. Owners are never imported: making someone an owner is a decision an
# owner takes for one person through the members endpoint, not a line in a file an admin uploads.
IMPORTABLE_ROLES = (Role.VIEWER, Role.MEMBER, Role.ADMIN)
ABSENT = 1 << 30  # the position of a column the file does not have: always past the row's end


@dataclass(frozen=True, slots=True)
class Problem:
    column: str
    code: str
    message: str
    value: str = ""


class MemberRow(NamedTuple):
    email: str
    role: Role


Validator = Callable[[list[str]], "TaskLoadRow | MemberRow | list[Problem]"]


def _label_lookup(choices) -> dict[str, int]:
    """Labels as the API spells them, also accepted with spaces or hyphens and in any case."""
    lookup = {}
    for choice in choices:
        label = choice.label
        for spelling in (label, label.replace("_", " "), label.replace("_", "-")):
            lookup[spelling] = int(choice)
    return lookup


STATUS_LOOKUP = _label_lookup(Status)
PRIORITY_LOOKUP = _label_lookup(Priority)
ROLE_LOOKUP = {role.label: role for role in Role}


def _too_many_cells(count: int, width: int) -> list[Problem]:
    return [
        Problem("", "too_many_cells", f"The row has {count} cells but the header has {width} columns; check quoting.")
    ]


def task_validator(match: HeaderMatch, *, members: dict[str, UUID]) -> Validator:
    """Validate task rows. ``members`` maps each member's lower-case email to their user id."""
    width = match.width
    position = match.positions.get
    title_at = position("title", ABSENT)
    description_at = position("description", ABSENT)
    status_at = position("status", ABSENT)
    priority_at = position("priority", ABSENT)
    assignee_at = position("assignee_email", ABSENT)
    due_at = position("due_date", ABSENT)
    statuses, priorities = STATUS_LOOKUP, PRIORITY_LOOKUP
    default_status, default_priority = int(Status.TODO), int(Priority.MEDIUM)
    status_labels, priority_labels = ", ".join(Status.labels), ", ".join(Priority.labels)
    fromisoformat = datetime.date.fromisoformat
    member = members.get

    def validate(cells: list[str]):
        count = len(cells)
        if count > width:
            return _too_many_cells(count, width)
        problems = None
        title = cells[title_at].strip() if title_at < count else ""
        if not title:
            problems = [Problem("title", "required", "A title is required.")]
        elif len(title) > TITLE_MAX_LENGTH:
            problems = [
                Problem("title", "too_long", f"At most {TITLE_MAX_LENGTH} characters ({len(title)} given).", title)
            ]
        description = cells[description_at].strip() if description_at < count else ""
        if len(description) > DESCRIPTION_MAX_LENGTH:
            problems = problems or []
            problems.append(
                Problem(
                    "description",
                    "too_long",
                    f"At most {DESCRIPTION_MAX_LENGTH} characters ({len(description)} given).",
                    description,
                )
            )
        raw = cells[status_at].strip() if status_at < count else ""
        if raw:
            status = statuses.get(raw) or statuses.get(raw.lower())
            if status is None:
                problems = problems or []
                problems.append(Problem("status", "invalid_choice", f"Expected one of {status_labels}.", raw))
        else:
            status = default_status
        raw = cells[priority_at].strip() if priority_at < count else ""
        if raw:
            priority = priorities.get(raw) or priorities.get(raw.lower())
            if priority is None:
                problems = problems or []
                problems.append(Problem("priority", "invalid_choice", f"Expected one of {priority_labels}.", raw))
        else:
            priority = default_priority
        raw = cells[assignee_at].strip() if assignee_at < count else ""
        if raw:
            assignee = member(raw) or member(raw.lower())
            if assignee is None:
                problems = problems or []
                problems.append(
                    Problem("assignee_email", "not_a_member", "No member of the organization has this email.", raw)
                )
        else:
            assignee = None
        raw = cells[due_at].strip() if due_at < count else ""
        if raw:
            try:
                due = fromisoformat(raw)
            except ValueError:
                due = None
                problems = problems or []
                problems.append(Problem("due_date", "invalid_date", "Expected an ISO date, YYYY-MM-DD.", raw))
        else:
            due = None
        if problems:
            return problems
        return TaskLoadRow(title, description, status, priority, assignee, due)

    return validate


def member_validator(match: HeaderMatch) -> Validator:
    """Validate member rows: a valid email, and a role an import may grant (``member`` when blank)."""
    width = match.width
    email_at = match.positions.get("email", ABSENT)
    role_at = match.positions.get("role", ABSENT)
    role_labels = ", ".join(role.label for role in IMPORTABLE_ROLES)

    def validate(cells: list[str]):
        count = len(cells)
        if count > width:
            return _too_many_cells(count, width)
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
