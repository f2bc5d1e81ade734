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
breakdowns, one for the assignees' names, one for both weekly series, and the percentiles (on
PostgreSQL one query, after the statement that gives its sort the memory it needs; two elsewhere).
"""

import datetime
import math

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from organizations.models import Organization
from reports.models import ReportExport, ReportSettings
from reports.ranges import ReportRange, iso_week_label, start_of
from tasks_app.models import Priority, Status
from tasks_app.selectors import task_list_of_organization

PERCENTILES = {"median": 0.5, "p90": 0.9}
SERIES = {"created": "created_at", "completed": "completed_at"}
# Three parameters per week: 1,000 weeks stay well inside SQLite's 32,766 per statement.
WEEKS_PER_QUERY = 1000
# The weekly counts' rows of (position, low, high): VALUES names its columns column1, column2, column3.
WEEK_ALIAS = "report_week"
UNASSIGNED_NAME = "Unassigned"

CYCLE_TIME = ExpressionWrapper(F("completed_at") - F("created_at"), output_field=DurationField())

# percentile_cont sorts its values in memory when work_mem holds them, else through temporary files
# (a spill). Sorted as float8 seconds, a value takes 24 bytes of sort memory (measured: 340,219 values
# sort in memory with 8,000 kB, spill with 7,500 kB), as an interval 62-74 (by reference): seconds need
# a third of the memory and sort in 60% of the time. PostgreSQL's default 4 MB holds about 170,000,
# so the percentile query raises work_mem, for its transaction only, to what its count needs.
SORT_BYTES_PER_VALUE = 32  # 24 measured, with room to spare
SORT_MEMORY_MIN = 64 * 1024  # PostgreSQL's least work_mem
# Past this (about 2,000,000 completions in one range), the sort spills rather than take more memory.
SORT_MEMORY_MAX = 64 * 1024 * 1024


class CycleSeconds(Func):
    """``completed_at - created_at`` in seconds, as float8: PostgreSQL's ``date_part('epoch', interval)``.

    Not ``EXTRACT(EPOCH FROM ...)`` (Django's ``Extract``), which answers numeric since PostgreSQL 14
    and costs a numeric conversion per row.
    """

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()

    def __init__(self):
        super().__init__(CYCLE_TIME)


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
        super().__init__(expression, fractions=literals, output_field=ArrayField(FloatField()), **extra)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


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


def _range_count_sql(tasks: QuerySet, field: str) -> tuple[str, list]:
    """The SQL of "how many of ``tasks`` have ``field`` in [low, high)", compiled by the ORM from the tasks
    selector, with ``low`` and ``high`` read from the row of the week being counted (``WEEK_ALIAS``)."""
    column = tasks.model._meta.get_field(field)
    # Column names of ours, no input: the ORM has no expression for a column of a VALUES list.
    low, high = (RawSQL(f"{WEEK_ALIAS}.{name}", (), output_field=column) for name in ("column2", "column3"))  # noqa: S611
    counted = (
        tasks.filter(**{f"{field}__gte": low, f"{field}__lt": high})
        .values("organization_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    sql, params = counted.query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _weekly_counts(tasks: QuerySet, report_range: ReportRange) -> list[dict]:
    """Tasks created and completed in each ISO week of the range, zeros included.

    One statement: a row per week (``VALUES (position, low, high), ...``), and for each series a
    count correlated to the row, a range scan of an index on (organization, created_at) or
    (organization, completed_at), rather than a GROUP BY on the truncated timestamp, which computes
    date_trunc for every row and hashes them: the weekly series dominates a report
    (docs/performance.md). The server plans the count once for every week; before, a column per
    week and series (210 subqueries for two years) cost more to bind, send and plan than the
    counts themselves at small sizes.
    Weeks are asked ``WEEKS_PER_QUERY`` at a time, as a statement binds a bounded number of parameters.
    """
    counts = [_range_count_sql(tasks, field) for field in SERIES.values()]
    prepare = tasks.model._meta.get_field("created_at").get_db_prep_value
    weeks, mondays = [], report_range.week_starts()
    bounds = [report_range.start, *(start_of(monday) for monday in mondays[1:]), report_range.end]
    for position, monday in enumerate(mondays):
        weeks.append({"week": iso_week_label(monday), "start": monday, "bounds": bounds[position : position + 2]})
    for first in range(0, len(weeks), WEEKS_PER_QUERY):
        chunk = weeks[first : first + WEEKS_PER_QUERY]
        params = [param for _, count_params in counts for param in count_params]
        for position, week in enumerate(chunk):
            params.extend([position, *(prepare(value, connection) for value in week["bounds"])])
        columns = ", ".join(f"COALESCE(({sql}), 0)" for sql, _ in counts)
        rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
        # The ORM's SQL and placeholders, with every value bound as a parameter.
        statement = f"SELECT {columns} FROM (VALUES {rows}) AS {WEEK_ALIAS} ORDER BY {WEEK_ALIAS}.column1"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            for week, figures in zip(chunk, cursor.fetchall(), strict=True):
                week.update(zip(SERIES, figures, strict=True))
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
        # SET LOCAL lasts until the transaction ends: this block's, or the caller's when it has one
        # (no savepoint: a failure here fails the caller's transaction as any failed query would).
        with transaction.atomic(savepoint=False):
            _sort_memory_for(completed)
            found = completed_tasks.aggregate(values=PercentilesCont(CycleSeconds(), fractions=PERCENTILES.values()))
        values = dict(zip(PERCENTILES, found["values"], strict=True))
    else:
        values = {name: _percentile_by_offset(completed_tasks, p, completed) for name, p in PERCENTILES.items()}
    for name, seconds in values.items():
        figures[f"{name}_hours"] = _hours(seconds)
    return figures


def _sort_memory_for(values: int) -> None:
    """``SET LOCAL work_mem`` to what sorting ``values`` cycle times needs, ``SORT_MEMORY_MAX`` at most; never lower."""
    need = min(max(values * SORT_BYTES_PER_VALUE, SORT_MEMORY_MIN), SORT_MEMORY_MAX)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', GREATEST(pg_size_bytes(current_setting('work_mem')), %s) / 1024 || 'kB', "
            "true)",
            [need],
        )


def _percentile_by_offset(tasks: QuerySet, fraction: float, count: int) -> float:
    """``percentile_cont`` without it: the two ordered values around ``fraction * (count - 1)``, interpolated (s)."""
    position = fraction * (count - 1)
    lower = math.floor(position)
    values = list(tasks.annotate(cycle=CYCLE_TIME).order_by("cycle").values_list("cycle", flat=True)[lower : lower + 2])
    if len(values) == 1 or position == lower:
        return values[0].total_seconds()
    return (values[0] + (values[1] - values[0]) * (position - lower)).total_seconds()


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
