"""The task list at scale: the DRF request in-process against the same page and count in raw SQL.

Builds one organization of N tasks (default 100,000), then, in one run, times
``GET /api/v1/tasks`` (unfiltered and filtered by status) against raw SQL that returns the
same first page and exact count, and prints PostgreSQL's EXPLAIN ANALYZE of the main query.
Goals: docs/performance.md, "Goals".
"""

import argparse
import random
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


def build(n_tasks: int, batch: int = 5000):
    from django.utils import timezone

    from accounts.services import user_create
    from organizations.services import organization_create
    from tasks_app.models import Priority, Status, Task

    owner = user_create(email="owner@bench.example", username="owner", password=None)
    org = organization_create(name="Bench", created_by=owner)
    rng = random.Random(42)
    now = timezone.now()
    made = 0
    while made < n_tasks:
        size = min(batch, n_tasks - made)
        Task.objects.bulk_create(
            Task(
                organization=org,
                title=f"Task {made + i}",
                description="Generated for the benchmark",
                status=rng.choice(Status.values),
                priority=rng.choice(Priority.values),
                created_by=owner,
                created_at=now - timezone.timedelta(minutes=made + i),
            )
            for i in range(size)
        )
        made += size
    return owner, org


def soft_delete_share(org, percent: int, batch: int = 5000) -> int:
    """Soft-delete ``percent`` % of the organization's tasks, picked at random (the trash of a living team)."""
    from django.utils import timezone

    from tasks_app.models import Task

    ids = list(Task.objects.filter(organization=org).values_list("pk", flat=True))
    chosen = random.Random(7).sample(ids, len(ids) * percent // 100)
    for start in range(0, len(chosen), batch):
        Task.objects.filter(pk__in=chosen[start : start + batch]).update(deleted_at=timezone.now())
    return len(chosen)


def run(n_tasks: int, iterations: int, deleted_percent: int = 0) -> None:
    from django.db import connection

    started = time.perf_counter()
    owner, org = build(n_tasks)
    deleted = soft_delete_share(org, deleted_percent) if deleted_percent else 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tasks_app_task")
    print(
        f"built {n_tasks} tasks ({deleted} soft-deleted) in {time.perf_counter() - started:.1f} s "
        f"({describe_backends()})"
    )

    client = signed_in_client(owner)

    page_sql = (
        "SELECT t.*, c.username, a.username FROM tasks_app_task t "
        "LEFT JOIN accounts_user c ON c.id = t.created_by_id LEFT JOIN accounts_user a ON a.id = t.assignee_id "
        "WHERE t.organization_id = %s AND t.deleted_at IS NULL {extra} ORDER BY t.created_at DESC, t.id DESC LIMIT 20"
    )
    count_sql = "SELECT COUNT(*) FROM tasks_app_task t WHERE t.organization_id = %s AND t.deleted_at IS NULL {extra}"

    def raw(extra: str, params: tuple):
        def go():
            with connection.cursor() as cursor:
                cursor.execute(count_sql.format(extra=extra), (org.pk, *params))
                cursor.fetchone()
                cursor.execute(page_sql.format(extra=extra), (org.pk, *params))
                cursor.fetchall()

        return go

    def api(query: str):
        return api_getter(client, f"/api/v1/tasks{query}")

    results = time_interleaved(
        {
            "API list, unfiltered": api(""),
            "raw SQL, unfiltered": raw("", ()),
            "API list, status=in_progress": api("?status=in_progress"),
            "raw SQL, status=in_progress": raw("AND t.status = %s", (2,)),
        },
        iterations=iterations,
        repeats=5,
    )
    print_timings(results, width=32)
    for label in ("unfiltered", "status=in_progress"):
        ratio = results[f"API list, {label}"] / results[f"raw SQL, {label}"]
        print(f"  ratio API / raw SQL, {label:<20} {ratio:5.2f}x")

    if connection.vendor == "postgresql":
        for query in ("", "?status=in_progress"):
            explain_api_queries(api(query), f"GET /api/v1/tasks{query}")


def explain_api_queries(request, label: str) -> None:
    """EXPLAIN ANALYZE what the API itself ran (its count and its page query), captured from a request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        request()
    statements = [q["sql"] for q in captured.captured_queries if "tasks_app_task" in q["sql"]]
    with connection.cursor() as cursor:
        for sql in statements[:2]:
            cursor.execute("EXPLAIN ANALYZE " + sql)
            kind = "count" if "COUNT(" in sql else "page"
            print(f"\nEXPLAIN ANALYZE of the API's {kind} query ({label}):")
            print("\n".join("  " + row[0] for row in cursor.fetchall()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--deleted", type=int, default=0, help="percent of the tasks soft-deleted, e.g. 10")
    args = parser.parse_args(argv)
    setup_django()
    with test_database():
        run(args.tasks, args.iterations, args.deleted)


if __name__ == "__main__":
    main()
