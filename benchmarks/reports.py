"""The report summary at scale: the selector and the API request against the same aggregations in raw SQL.

Builds one organization of N tasks (default 1,000,000) on PostgreSQL with ``INSERT ... SELECT
generate_series`` (indexes dropped during the load and rebuilt after, as a bulk load would),
spread over two years, ~20 assignees, every status and priority, due dates, completion times.
Then, in one run and interleaved, times for the default range (12 weeks) and for two years:
``reports.selectors.report_summary``, ``GET /api/v1/reports/{id}`` in-process, and one raw SQL
script with the same aggregations; prints the ratios and EXPLAIN ANALYZE of each query.
Goals: docs/performance.md, "Goals".
"""

# The raw SQL scripts inline ids and dates the benchmark made itself: no user input reaches them.
# ruff: noqa: S608

import argparse
import datetime
import time

from benchmarks.harness import (
    api_getter,
    describe_backends,
    print_timings,
    setup_django,
    signed_in_client,
    test_database,
    time_interleaved,
)

MEMBERS = 20


def build(n_tasks: int, deleted_percent: int = 0):
    """The organization, its owner and ``MEMBERS`` assignees, and ``n_tasks`` tasks written by PostgreSQL itself."""
    from django.db import connection, transaction

    from accounts.services import user_create, user_email_mark_verified
    from organizations.models import Role
    from organizations.services import membership_add, organization_create

    owner = user_create(email="owner@bench.example", username="owner", password=None)
    org = organization_create(name="Bench", created_by=owner)
    members = [owner]
    for i in range(1, MEMBERS):
        user = user_create(email=f"member{i}@bench.example", username=f"member{i}", password=None)
        user.full_name = f"Member {i}"
        user.save(update_fields=["full_name"])
        # Only a verified address is added directly (an unverified one is invited).
        user_email_mark_verified(user=user, method="staff")
        membership_add(organization=org, email=user.email, role=Role.MEMBER, actor=None)
        members.append(user)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'tasks_app_task' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SELECT setseed(0.42)")
            # Two years of tasks; a third done (completed 1 h to ~30 days after creation, never in the
            # future), 10% unassigned, 70% with a due date from 10 days before to 30 days after creation.
            cursor.execute(
                """
                INSERT INTO tasks_app_task (id, organization_id, title, description, status, priority,
                                            created_by_id, assignee_id, due_date, completed_at, created_at, updated_at,
                                            deleted_at)
                SELECT gen_random_uuid(), %(org)s, 'Task ' || g, '', status,
                       1 + floor(random() * 4)::int,
                       %(owner)s,
                       CASE WHEN random() < 0.1 THEN NULL
                            ELSE (%(members)s::uuid[])[1 + floor(random() * %(n)s)::int] END,
                       CASE WHEN random() < 0.7
                            THEN (created + (floor(random() * 40) - 10) * interval '1 day')::date END,
                       CASE WHEN status = 3
                            THEN LEAST(now(), created + interval '1 hour' + random() * random() * interval '30 days')
                       END,
                       created, created,
                       CASE WHEN random() * 100 < %(deleted)s THEN now() END
                FROM (
                    SELECT g, now() - random() * interval '730 days' AS created,
                           CASE WHEN random() < 0.34 THEN 3 ELSE 1 + floor(random() * 2)::int END AS status
                    FROM generate_series(1, %(tasks)s) AS g
                ) AS generated
                """,
                {
                    "org": org.pk,
                    "owner": owner.pk,
                    "members": [m.pk for m in members],
                    "n": len(members),
                    "tasks": n_tasks,
                    "deleted": deleted_percent,
                },
            )
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE tasks_app_task")
    return owner, org


def raw_script(org, period, *, weekly: str = "ranges") -> str:
    """The report's aggregations as one SQL script, written by hand (values are ours, not user input: inlined).

    ``weekly="ranges"`` counts each week with its own range scan, as the selector does;
    ``weekly="group_by"`` groups every row by ``date_trunc('week', ...)``, the obvious way, for comparison.
    """
    from reports.ranges import start_of

    org_id = f"'{org.pk}'::uuid"

    def ts(value) -> str:
        return f"'{value.isoformat()}'::timestamptz"

    start, end, as_of = ts(period.start), ts(period.end), f"'{period.as_of.isoformat()}'::date"
    if weekly == "ranges":
        columns = []
        for monday in period.week_starts():
            low = max(start_of(monday), period.start)
            high = min(start_of(monday + datetime.timedelta(days=7)), period.end)
            for field in ("created_at", "completed_at"):
                columns.append(
                    f"(SELECT COUNT(*) FROM tasks_app_task WHERE organization_id = {org_id} AND deleted_at IS NULL "
                    f"AND {field} >= {ts(low)} AND {field} < {ts(high)})"
                )
        weeks = "SELECT " + ",\n".join(columns) + ";"
    else:
        weeks = "\n".join(
            f"SELECT date_trunc('week', {field} AT TIME ZONE 'UTC'), COUNT(*) FROM tasks_app_task "
            f"WHERE organization_id = {org_id} AND deleted_at IS NULL "
            f"AND {field} >= {start} AND {field} < {end} GROUP BY 1;"
            for field in ("created_at", "completed_at")
        )
    return f"""
        SELECT status, priority, assignee_id, COUNT(*),
               COUNT(*) FILTER (WHERE due_date < {as_of} AND status <> 3)
          FROM tasks_app_task WHERE organization_id = {org_id} AND deleted_at IS NULL AND created_at < {end}
         GROUP BY status, priority, assignee_id;
        SELECT id, username, full_name FROM accounts_user
         WHERE id IN (SELECT user_id FROM organizations_membership WHERE organization_id = {org_id});
        {weeks}
        SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY completed_at - created_at)
          FROM tasks_app_task
         WHERE organization_id = {org_id} AND deleted_at IS NULL AND completed_at >= {start} AND completed_at < {end};
    """


def run_raw(script: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(script)
        while True:
            cursor.fetchall()
            if not cursor.nextset():
                break


def explain(script: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in filter(str.strip, script.split(";")):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement)
            lines = [row[0] for row in cursor.fetchall()]
            if len(lines) > 30:  # the weekly statement: one plan per week and series
                lines = [*lines[:10], f"... {len(lines) - 12} lines ...", *lines[-2:]]
            print("\n" + "\n".join("  " + line for line in lines))


def run(n_tasks: int, repeats: int, show_plans: bool, deleted_percent: int = 0) -> None:
    from django.db import connection

    from reports.ranges import report_range
    from reports.selectors import report_summary

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    started = time.perf_counter()
    owner, org = build(n_tasks, deleted_percent)
    print(
        f"built {n_tasks:,} tasks, about {deleted_percent}% soft-deleted, in {time.perf_counter() - started:.1f} s "
        f"({describe_backends()})"
    )

    client = signed_in_client(owner)
    today = datetime.date.today()
    ranges = {
        "12 weeks": report_range(),
        "2 years": report_range(date_from=today - datetime.timedelta(days=729), date_to=today),
    }

    def selector(period):
        return lambda: report_summary(organization=org, report_range=period)

    def api(period):
        query = {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()}
        return api_getter(client, f"/api/v1/reports/{org.pk}", query)

    functions = {}
    for label, period in ranges.items():
        script = raw_script(org, period)
        naive = raw_script(org, period, weekly="group_by")
        functions[f"raw SQL script, {label}"] = lambda script=script: run_raw(script)
        functions[f"raw SQL, GROUP BY week, {label}"] = lambda naive=naive: run_raw(naive)
        functions[f"selector, {label}"] = selector(period)
        functions[f"API request, {label}"] = api(period)
    results = time_interleaved(functions, iterations=1, repeats=repeats)

    print(f"\nmedian of {repeats} interleaved runs:")
    print_timings(results, unit_ms_digits=1)
    for label in ranges:
        raw = results[f"raw SQL script, {label}"]
        for kind in ("selector", "API request"):
            print(f"  ratio {kind + ' / raw SQL script, ' + label:<45} {results[f'{kind}, {label}'] / raw:5.2f}x")

    summary = report_summary(organization=org, report_range=ranges["2 years"])
    print(
        f"\ncheck (2 years): totals {summary['totals']}, {len(summary['weeks'])} weeks, "
        f"{len(summary['by_assignee'])} assignee rows, cycle time {summary['cycle_time']}"
    )
    if show_plans:
        for label, period in ranges.items():
            print(f"\nEXPLAIN ANALYZE of the raw SQL script, {label}:")
            explain(raw_script(org, period))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timed runs of each (median shown)")
    parser.add_argument("--no-explain", dest="explain", action="store_false", help="skip EXPLAIN ANALYZE")
    parser.add_argument(
        "--deleted", type=int, default=0, help="percent of the tasks soft-deleted (in the trash), e.g. 10"
    )
    args = parser.parse_args(argv)
    setup_django()
    with test_database():
        run(args.tasks, args.repeats, args.explain, args.deleted)


if __name__ == "__main__":
    main()
