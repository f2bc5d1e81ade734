"""Importing tasks: one task per row, loaded through ``tasks_app.services.task_bulk_load`` (COPY on
PostgreSQL); each assignee hears how many imported tasks are theirs when the job ends."""

import datetime
from uuid import UUID

from imports.csv_source import HeaderMatch
from imports.kinds.base import CsvImport, LoadResult, Notice, Problem, Validator, too_many_cells
from organizations import selectors as org_selectors
from tasks_app import services as task_services
from tasks_app.bulk import TaskLoadRow
from tasks_app.mentions import mentioned_among
from tasks_app.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Priority, Status


def _label_lookup(choices) -> dict[str, int]:
    """Labels as the API spells them, also accepted with spaces or hyphens and in any case."""
    lookup = {}
    for choice in choices:
        label = choice.label
        for spelling in (label, label.replace("_", " "), label.replace("_", "-")):
            lookup[spelling] = int(choice)
    return lookup


def _choice(raw: str, lookup: dict[str, int], default: int) -> int | None:
    """The choice a cell names by its label: ``default`` when blank, None when it names none."""
    if not raw:
        return default
    return lookup.get(raw) or lookup.get(raw.lower())


STATUS_LOOKUP = _label_lookup(Status)
PRIORITY_LOOKUP = _label_lookup(Priority)


def _title(raw: str, problems: list) -> str:
    if not raw:
        problems.append(Problem("title", "required", "A title is required."))
    elif len(raw) > TITLE_MAX_LENGTH:
        problems.append(Problem("title", "too_long", f"At most {TITLE_MAX_LENGTH} characters ({len(raw)} given).", raw))
    return raw


def _description(raw: str, problems: list) -> str:
    if len(raw) > DESCRIPTION_MAX_LENGTH:
        message = f"At most {DESCRIPTION_MAX_LENGTH} characters ({len(raw)} given)."
        problems.append(Problem("description", "too_long", message, raw))
    return raw


def _labelled(raw: str, column: str, lookup: dict[str, int], default: int, labels: str, problems: list) -> int | None:
    value = _choice(raw, lookup, default)
    if value is None:
        problems.append(Problem(column, "invalid_choice", f"Expected one of {labels}.", raw))
    return value


def _assignee(raw: str, column: str, member, problems: list) -> UUID | None:
    """A member named by their email or their username (``@`` optional), in any case."""
    if not raw:
        return None
    assignee = member(raw.lower().removeprefix("@"))
    if assignee is None:
        message = "No member of the organization has this email or username."
        problems.append(Problem(column, "not_a_member", message, raw))
    return assignee


def _due_date(raw: str, problems: list) -> datetime.date | None:
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        problems.append(Problem("due_date", "invalid_date", "Expected an ISO date, YYYY-MM-DD.", raw))
        return None


def task_validator(
    match: HeaderMatch, *, members: dict[str, UUID], handles: dict[str, UUID] | None = None
) -> Validator:
    """Validate task rows. ``members`` maps each member's lower-case email and username to their user id;
    ``handles`` their lower-case username alone, for the description's @mentions (as the API reads them).

    Plain checks on strings and dictionaries rather than a serializer per row: this runs once per row
    of files of a million rows (docs/performance.md, "Why the code is shaped this way").
    """
    width = match.width
    # A column the file lacks reads the blank cell padded at index ``width``; so does a short row's.
    position = match.positions.get
    title_at = position("title", width)
    description_at = position("description", width)
    status_at = position("status", width)
    priority_at = position("priority", width)
    # ``assignee`` (an email or a username) or, as files of old say it, ``assignee_email``.
    assignee_column = "assignee" if "assignee" in match.positions else "assignee_email"
    assignee_at = position(assignee_column, width)
    due_at = position("due_date", width)
    padding = [""] * (width + 1)
    default_status, default_priority = int(Status.TODO), int(Priority.MEDIUM)
    status_labels, priority_labels = ", ".join(Status.labels), ", ".join(Priority.labels)
    member = members.get
    handles = handles or {}

    def validate(cells: list[str]):
        count = len(cells)
        if count > width:
            return too_many_cells(count, width)
        cells = [*cells, *padding[count:]]
        problems: list[Problem] = []
        description = _description(cells[description_at].strip(), problems)
        row = TaskLoadRow(
            _title(cells[title_at].strip(), problems),
            description,
            _labelled(cells[status_at].strip(), "status", STATUS_LOOKUP, default_status, status_labels, problems),
            _labelled(
                cells[priority_at].strip(), "priority", PRIORITY_LOOKUP, default_priority, priority_labels, problems
            ),
            _assignee(cells[assignee_at].strip(), assignee_column, member, problems),
            _due_date(cells[due_at].strip(), problems),
            mentioned_among(description, handles),
        )
        return problems or row

    return validate


class TaskImport(CsvImport):
    kind = "tasks"
    columns = ("title", "description", "status", "priority", "assignee", "assignee_email", "due_date")
    required = ("title",)

    def validator(self, match: HeaderMatch) -> Validator:
        # Every member's email and username, once per run: validation then never queries per row.
        rows = org_selectors.organization_member_list(organization_id=self.job.organization_id).values_list(
            "email", "username", "pk"
        )
        handles, members = {}, {}
        for email, username, pk in rows:
            handles[username.lower()] = pk
            members[email.lower()] = pk
        return task_validator(match, members={**handles, **members}, handles=handles)

    def load(self, rows: list[tuple[int, TaskLoadRow]]) -> LoadResult:
        tasks = [row for _, row in rows]
        created = task_services.task_bulk_load(
            organization=self.job.organization,
            rows=tasks,
            created_by=self.job.created_by,
            import_job_id=self.job.pk,
        )
        summary: dict[str, dict[str, int]] = {}
        for task in tasks:
            if task.assignee_id is not None:
                _count(summary, "assignees", task.assignee_id)
            for user_id in task.mention_ids:
                _count(summary, "mentioned", user_id)
        return LoadResult(created=created, summary=summary)

    def summary_notices(self) -> list[Notice]:
        """Each assignee: how many imported tasks were assigned to them; each person @mentioned in
        descriptions: in how many (one notice per count, grouped), never one per task."""
        summary = self.job.summary or {}
        return [
            *_notices(
                summary.get("assignees"),
                lambda count: f"{_tasks(count)} {'were' if count != 1 else 'was'} assigned to you",
                url="/tasks/assigned",
                key="assigned_to_you",
            ),
            *_notices(
                summary.get("mentioned"),
                lambda count: f"You were mentioned in {_tasks(count)}",
                url="/tasks/mentioned",
                key="mentioned_you",
            ),
        ]


def _tasks(count: int) -> str:
    return f"{count} imported task{'s' if count != 1 else ''}"


def _count(summary: dict, key: str, user_id) -> None:
    counts = summary.setdefault(key, {})
    counts[str(user_id)] = counts.get(str(user_id), 0) + 1


def _notices(counts: dict | None, title, *, url: str, key: str) -> list[Notice]:
    by_count: dict[int, list[str]] = {}
    for user_id, count in (counts or {}).items():
        by_count.setdefault(count, []).append(user_id)
    return [
        Notice(
            recipients=user_ids,
            title=title(count),
            url=url,
            data={key: count},
        )
        for count, user_ids in sorted(by_count.items())
    ]
