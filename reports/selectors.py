"""The report of one organization, aggregated in the database with a fixed number of queries.

Which tasks each figure counts (``r`` is the requested range, ``from`` to ``to``, both included):

- **totals, by status, by priority, by assignee**: every task of the organization created on or
  before ``to`` (tasks created before ``from`` included: the backlog as it stands), in its
  current status and with its current assignee.
- **open** is any status but done; **done** is status done.
- **overdue**: not done, with a due date *before* ``as_of = min(to, today)``. A task due on
  ``as_of`` itself is not overdue yet; a report of a past range judges due dates against its
  ``to``, one reaching into the future against today.
- **weeks**: every ISO week the range touches, zeros included; ``created`` counts tasks created
  within the range, ``completed`` tasks whose ``completed_at`` falls within the range (whenever
  they were created). The first and last weeks count only their days inside the range.
- **cycle time**: over the tasks completed within the range, ``completed_at - created_at`` in
  hours: the median and the 90th percentile, interpolated linearly between the two nearest
  values (PostgreSQL's ``percentile_cont``; the same formula on other databases). Null when no
  task was completed in the range.

Queries, whatever the organization's size: one GROUP BY (status, priority, assignee) for the
breakdowns, one for the assignees' names, one per weekly series, and the percentiles (one query
on PostgreSQL, two elsewhere).
"""

import datetime
import math

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from organizations.models import Organization
from reports.models import ReportExport, ReportSettings
from reports.ranges import ReportRange, iso_week_label, start_of
from tasks_app.models import Priority, Status
from tasks_app.selectors import task_list_of_organization

PERCENTILES = {"median": 0.5, "p90": 0.9}
SERIES = {"created": "created_at", "completed": "completed_at"}
# Two columns per week: 250 weeks stay well inside PostgreSQL's 1664 columns per select list.
WEEKS_PER_QUERY = 250
UNASSIGNED_NAME = "Unassigned"

CYCLE_TIME = ExpressionWrapper(F("completed_at") - F("created_at"), output_field=DurationField())


class PercentilesCont(Aggregate):
    """PostgreSQL's ``percentile_cont(ARRAY[fractions]) WITHIN GROUP (ORDER BY expression)``: one sort for all."""

    function = "PERCENTILE_CONT"
    name = "PercentilesCont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, *, fractions, **extra):
        from django.contrib.postgres.fields import ArrayField

        # Constants of ours, never user input: written as float literals.
        literals = ", ".join(repr(float(fraction)) for fraction in fractions)
        super().__init__(expression, fractions=literals, output_field=ArrayField(DurationField()), **extra)


def _hours(duration: datetime.timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 3600, 2)


def _breakdown(tasks: QuerySet, report_range: ReportRange) -> dict:
    rows = (
        tasks.filter(created_at__lt=report_range.end)
        .values("status", "priority", "assignee_id")
        .annotate(
            count=Count("*"),
            # A due date before as_of is never null, so counting it counts the rows (Count("*") takes no filter).
            overdue=Count("due_date", filter=Q(due_date__lt=report_range.as_of) & ~Q(status=Status.DONE)),
        )
    )
    totals = {"all": 0, "open": 0, "done": 0, "overdue": 0}
    by_status = dict.fromkeys(Status.values, 0)
    by_priority = dict.fromkeys(Priority.values, 0)
    by_assignee: dict = {}
    for row in rows:
        count, overdue, done = row["count"], row["overdue"], row["status"] == Status.DONE
        totals["all"] += count
        totals["done" if done else "open"] += count
        totals["overdue"] += overdue
        by_status[row["status"]] = by_status.get(row["status"], 0) + count
        by_priority[row["priority"]] = by_priority.get(row["priority"], 0) + count
        figures = by_assignee.setdefault(row["assignee_id"], {"open": 0, "done": 0, "overdue": 0})
        figures["done" if done else "open"] += count
        figures["overdue"] += overdue
    return {"totals": totals, "by_status": by_status, "by_priority": by_priority, "by_assignee": by_assignee}


def _assignee_rows(by_assignee: dict) -> list[dict]:
    """One row per assignee with a task, most open work first; unassigned tasks as a row with a null id."""
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=[pk for pk in by_assignee if pk is not None])
        .only("id", "username", "full_name")
        .order_by()
    }
    rows = []
    for pk, figures in by_assignee.items():
        user = users.get(pk)
        rows.append(
            {
                "id": pk,
                "username": user.username if user else None,
                "name": (user.full_name or user.username) if user else UNASSIGNED_NAME,
                **figures,
            }
        )
    rows.sort(key=lambda r: (r["id"] is None, -r["open"], -r["overdue"], -r["done"], r["name"].lower()))
    return rows


def _range_count_sql(tasks: QuerySet, field: str, report_range: ReportRange) -> tuple[str, list, tuple[int, int]]:
    """The SQL of "how many of ``tasks`` have ``field`` in [low, high)", compiled once by the ORM.

    Returns the SQL, its parameters, and the positions of ``low`` and ``high`` among them, so
    that the same statement can be bound to every week without compiling a queryset per week.
    """
    bounds = tasks.model._meta.get_field(field)
    low, high = (bounds.get_db_prep_value(v, connection) for v in (report_range.start, report_range.end))
    counted = (
        tasks.filter(**{f"{field}__gte": report_range.start, f"{field}__lt": report_range.end})
        .values("organization_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    sql, params = counted.query.get_compiler(connection=connection).as_sql()
    params = list(params)
    positions = (params.index(low), params.index(high))
    if params.count(low) != 1 or params.count(high) != 1:  # pragma: no cover - a guard, not a path
        raise RuntimeError(f"Cannot bind the week bounds of {sql!r}")
    return sql, params, positions


def _weekly_counts(tasks: QuerySet, report_range: ReportRange) -> list[dict]:
    """Tasks created and completed in each ISO week of the range, zeros included.

    One SELECT of scalar subqueries, one per week and series: each is a range count read off
    an index on (organization, created_at) or (organization, completed_at), rather than a GROUP BY
    on the truncated timestamp, which computes date_trunc for every row and hashes them: the weekly
    series dominates a report (docs/performance.md). The count statement is compiled once by the
    ORM from the tasks selector and bound to each week's bounds, since compiling a queryset per
    week costs more than running them.
    Weeks are asked ``WEEKS_PER_QUERY`` at a time, as a select list has a bounded number of columns.
    """
    statements = {series: _range_count_sql(tasks, field, report_range) for series, field in SERIES.items()}
    weeks = []
    for monday in report_range.week_starts():
        low = max(start_of(monday), report_range.start)
        high = min(start_of(monday + datetime.timedelta(days=7)), report_range.end)
        weeks.append({"week": iso_week_label(monday), "start": monday, "bounds": (low, high)})
    for first in range(0, len(weeks), WEEKS_PER_QUERY):
        chunk = weeks[first : first + WEEKS_PER_QUERY]
        columns, params = [], []
        for week in chunk:
            for series, field in SERIES.items():
                sql, base_params, (low_at, high_at) = statements[series]
                bound = list(base_params)
                prepare = tasks.model._meta.get_field(field).get_db_prep_value
                bound[low_at], bound[high_at] = (prepare(value, connection) for value in week["bounds"])
                columns.append(f"COALESCE(({sql}), 0)")
                params.extend(bound)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            row = iter(cursor.fetchone())
        for week in chunk:
            for series in SERIES:
                week[series] = next(row)
    for week in weeks:
        del week["bounds"]
    return weeks


def _completed_in(tasks: QuerySet, report_range: ReportRange) -> QuerySet:
    return tasks.filter(completed_at__gte=report_range.start, completed_at__lt=report_range.end)


def _cycle_time(tasks: QuerySet, report_range: ReportRange, completed: int) -> dict:
    """Median and 90th percentile of the cycle time of the ``completed`` tasks completed in the range."""
    figures = {"completed": completed, "median_hours": None, "p90_hours": None}
    if not completed:
        return figures
    completed_tasks = _completed_in(tasks, report_range)
    if connection.vendor == "postgresql":
        found = completed_tasks.aggregate(values=PercentilesCont(CYCLE_TIME, fractions=PERCENTILES.values()))
        values = dict(zip(PERCENTILES, found["values"], strict=True))
    else:
        values = {name: _percentile_by_offset(completed_tasks, p, completed) for name, p in PERCENTILES.items()}
    for name, value in values.items():
        figures[f"{name}_hours"] = _hours(value)
    return figures


def _percentile_by_offset(tasks: QuerySet, fraction: float, count: int) -> datetime.timedelta:
    """``percentile_cont`` without it: the two ordered values around ``fraction * (count - 1)``, interpolated."""
    position = fraction * (count - 1)
    lower = math.floor(position)
    values = list(tasks.annotate(cycle=CYCLE_TIME).order_by("cycle").values_list("cycle", flat=True)[lower : lower + 2])
    if len(values) == 1 or position == lower:
        return values[0]
    return values[0] + (values[1] - values[0]) * (position - lower)


def report_summary(*, organization: Organization, report_range: ReportRange) -> dict:
    """The report's figures as plain data (dates, ints, floats), as the serializers and renderers take it."""
    tasks = task_list_of_organization(organization_id=organization.pk)
    breakdown = _breakdown(tasks, report_range)
    weeks = _weekly_counts(tasks, report_range)
    return {
        "organization": {"id": organization.pk, "name": organization.name, "slug": organization.slug},
        "range": {
            "from": report_range.date_from,
            "to": report_range.date_to,
            "days": report_range.days,
            "as_of": report_range.as_of,
        },
        "totals": breakdown["totals"],
        "by_status": [{"status": Status(value).label, "count": n} for value, n in breakdown["by_status"].items()],
        "by_priority": [
            {"priority": Priority(value).label, "count": n} for value, n in breakdown["by_priority"].items()
        ],
        "by_assignee": _assignee_rows(breakdown["by_assignee"]),
        "weeks": weeks,
        "cycle_time": _cycle_time(tasks, report_range, sum(week["completed"] for week in weeks)),
    }


# --- Exports and settings ------------------------------------------------------------------


def report_export_list() -> QuerySet[ReportExport]:
    """Exports newest first, with what their serializer and download need (organization, requester).

    Not limited to an organization by itself: the views scope it.
    """
    return ReportExport.objects.select_related("organization", "requested_by").order_by("-created_at", "-id")


def report_export_get(*, export_id) -> ReportExport | None:
    return report_export_list().filter(pk=export_id).first()


def report_settings_get(*, organization: Organization) -> ReportSettings:
    """The organization's report settings; the defaults (unsaved) when never changed."""
    found = ReportSettings.objects.filter(organization=organization).first()
    return found or ReportSettings(organization=organization)


def report_settings_list_weekly_due(*, week_start: datetime.date) -> QuerySet[ReportSettings]:
    """Settings of organizations (not deleted) with the weekly email on whose report of that week was not sent yet."""
    return (
        ReportSettings.objects.filter(weekly_email=True, organization__deleted_at__isnull=True)
        .exclude(weekly_email_last_week__gte=week_start)
        .order_by("organization_id")
    )
