"""What each kind of import reads and how it loads a batch of valid rows.

The imports app never writes another app's tables itself: tasks load through
``tasks_app.services.tasks_bulk_load`` (COPY on PostgreSQL), members through
``organizations.services`` (``membership_add`` and ``invitation_create``, whose email goes out
once the batch commits).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from config.errors import SERVICE_ERRORS, Conflict, error_items
from imports import rows as row_rules
from imports.csv_source import HeaderMatch
from imports.models import ImportJob, ImportKind
from imports.rows import MemberRow, Problem
from organizations import selectors as org_selectors
from organizations import services as org_services
from tasks_app import services as task_services

MAX_SKIP_WARNINGS = 50


@dataclass
class LoadResult:
    """What loading one batch did; ``summary`` is added to the job's for its final notifications."""

    created: int = 0
    skipped: int = 0
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    rejected: int = 0
    summary: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class TaskImport:
    columns = row_rules.TASK_COLUMNS
    required = row_rules.TASK_REQUIRED

    def __init__(self, job: ImportJob):
        self.job = job
        self.batch_size = settings.IMPORT_BATCH_SIZE

    def validator(self, match: HeaderMatch):
        # Every member's email, once per run: validation then never queries per row.
        members = dict(org_selectors.member_users(organization_id=self.job.organization_id).values_list("email", "pk"))
        return row_rules.task_validator(match, members={email.lower(): pk for email, pk in members.items()})

    def load(self, rows: list[tuple[int, object]]) -> LoadResult:
        tasks = [row for _, row in rows]
        created = task_services.tasks_bulk_load(
            organization=self.job.organization,
            rows=tasks,
            created_by=self.job.created_by,
            import_job_id=self.job.pk,
        )
        assignees: dict[str, int] = {}
        for task in tasks:
            if task.assignee_id is not None:
                key = str(task.assignee_id)
                assignees[key] = assignees.get(key, 0) + 1
        return LoadResult(created=created, summary={"assignees": assignees} if assignees else {})


class MemberImport:
    """Existing users become members; other addresses are invited. Rows for someone who is already a
    member, or already has a pending invitation, are skipped (counted, with a warning), not failed:
    importing the same list twice is harmless and an all-or-nothing import is not refused for it."""

    columns = row_rules.MEMBER_COLUMNS
    required = row_rules.MEMBER_REQUIRED

    def __init__(self, job: ImportJob):
        self.job = job
        self.batch_size = min(settings.IMPORT_BATCH_SIZE, settings.IMPORT_MEMBER_BATCH_SIZE)
        # The services check the actor's role; an operator's job acts as the operator (None).
        self.actor = None if job.by_operator else job.created_by

    def validator(self, match: HeaderMatch):
        return row_rules.member_validator(match)

    def load(self, rows: list[tuple[int, MemberRow]]) -> LoadResult:
        organization = self.job.organization
        emails = {row.email for _, row in rows}
        # Who exists, who is a member, who has an open invitation: three queries per batch.
        users = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        members = set(
            org_selectors.member_users(organization_id=organization.pk)
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


KINDS = {ImportKind.TASKS: TaskImport, ImportKind.MEMBERS: MemberImport}


def import_for(job: ImportJob) -> TaskImport | MemberImport:
    return KINDS[ImportKind(job.kind)](job)
