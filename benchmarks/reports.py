"""The report summary at scale: the API request and its selector against the same SQL on a persistent connection.

At each size of ``--scales`` (default 10,000 and 100,000 tasks; issue 16 measures 1,000,000 too), on a
throwaway PostgreSQL database: the benchmarks' data set (``benchmarks/dataset.py``: one organization of N
tasks over two years, 20 assignees, realistic text), then, interleaved, for the default range (12 weeks)
and for two years:

- ``GET /api/v1/reports/{id}`` in process (authentication, scoping, the selector, serialization);
- ``reports.selectors.report_summary`` alone;
- raw SQL: the very statements the selector sent for that range (captured once, as the driver sent them,
  values inlined), run as one script in one transaction on a psycopg connection of their own, opened
  once. Checked to give the same figures as the API.

Prints each size's medians and ratios, EXPLAIN (ANALYZE, BUFFERS) of the statements at the largest size
(a sort that spilled to disk shows ``temp written``), the scale curve (how each cost grows), and, as its
last line, the API / raw SQL ratio at the largest size, the worse of the two ranges. Goals:
docs/performance.md, "Goals".
"""

import argparse
import datetime
import time

from benchmarks.harness import (
    api_getter,
    describe_backends,
    print_scale_curve,
    print_timings,
    scales_argument,
    setup_django,
    signed_in_client,
    test_database,
    time_interleaved,
)

# PostgreSQL settings that decide these plans: printed with the figures.
SETTINGS = ("server_version", "work_mem", "shared_buffers", "max_parallel_workers_per_gather", "jit")
# Calls per timed round: about 2 s of SQL a round at every size (one call at a million tasks).
CALLS_PER_ROUND_TASKS = 200_000


def ranges() -> dict:
    from reports.ranges import report_range

    today = datetime.date.today()
    return {
        "12 weeks": report_range(),
        "2 years": report_range(date_from=today - datetime.timedelta(days=729), date_to=today),
    }


def captured_statements(organization, period) -> list[str]:
    """The SQL ``report_summary`` sends for ``period``, in order, as the driver sent it.

    Django logs the transaction's BEGIN and COMMIT too: left out, as ``RawSQL.run`` runs the whole
    script in one transaction (the selector's ``SET LOCAL`` holds in it as in the selector's).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import report_summary

    with CaptureQueriesContext(connection) as captured:
        report_summary(organization=organization, report_range=period)
    return [query["sql"] for query in captured.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]


class RawSQL:
    """A psycopg connection of its own, opened once, running a script of statements in one transaction."""

    def __init__(self):
        import psycopg
        from django.db import connection

        settings = connection.settings_dict
        self.connection = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=settings["PORT"] or None,
        )

    def run(self, statements: list[str]) -> list[list[tuple]]:
        """Every statement's rows. Without parameters psycopg sends the script as one simple query."""
        results = []
        with self.connection.cursor() as cursor:
            cursor.execute(";\n".join(statements))
            while True:
                results.append(cursor.fetchall() if cursor.description else [])
                if not cursor.nextset():
                    break
        self.connection.commit()
        return results

    def explain(self, statements: list[str]) -> None:
        """EXPLAIN (ANALYZE, BUFFERS) of each statement, in one transaction, after the ones before it."""
        with self.connection.cursor() as cursor:
            for statement in statements:
                if statement.lstrip().upper().startswith("SELECT SET_CONFIG"):
                    cursor.execute(statement)
                    print(f"\n  {statement}")
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                print("\n" + "\n".join("  " + row[0] for row in cursor.fetchall()))
        self.connection.rollback()

    def close(self):
        self.connection.close()


def check_same_figures(report: dict, results: list[list[tuple]], statements: list[str]) -> None:
    """The raw script's rows give the API's figures: breakdown total, weekly series, percentiles."""
    by_kind = {}
    for statement, rows in zip(statements, results, strict=True):
        if "PERCENTILE_CONT" in statement:
            by_kind["percentiles"] = rows
        elif "GROUP BY" in statement and '"status"' in statement:
            by_kind["breakdown"] = rows
        elif "COALESCE((SELECT COUNT(*)" in statement:
            by_kind["weeks"] = rows
    weeks = [(week["created"], week["completed"]) for week in report["weeks"]]
    assert [tuple(row) for row in by_kind["weeks"]] == weeks, "weekly series differ"
    assert sum(row[3] for row in by_kind["breakdown"]) == report["totals"]["all"], "totals differ"
    median, p90 = by_kind["percentiles"][0][0]
    cycle = report["cycle_time"]
    assert (round(median / 3600, 2), round(p90 / 3600, 2)) == (cycle["median_hours"], cycle["p90_hours"]), cycle


def postgresql_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in SETTINGS), SETTINGS)
        return ", ".join(f"{name}={value}" for name, value in zip(SETTINGS, cursor.fetchone(), strict=True))


def run_scale(n_tasks: int, repeats: int, show_plans: bool, deleted_percent: int) -> dict[str, float]:
    from django.db import connection

    from benchmarks.dataset import build
    from reports.selectors import report_summary

    started = time.perf_counter()
    data = build([n_tasks], deleted_percent=deleted_percent)
    organization = data.organization
    # A fresh connection, as a server's: the one that built the data answered the same SQL 40% slower
    # afterwards (measured at 100,000 tasks: 156 ms against 111 ms on a new connection).
    connection.close()
    print(
        f"\n{n_tasks:,} tasks, about {deleted_percent}% soft-deleted, built in {time.perf_counter() - started:.1f} s "
        f"({describe_backends()}; {postgresql_settings()})"
    )
    client = signed_in_client(data.owner)
    raw = RawSQL()
    try:
        functions, scripts = {}, {}
        for label, period in ranges().items():
            query = {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()}
            scripts[label] = script = captured_statements(organization, period)
            report = client.get(f"/api/v1/reports/{organization.pk}", query).json()
            check_same_figures(report, raw.run(script), script)
            functions[f"API, {label}"] = api_getter(client, f"/api/v1/reports/{organization.pk}", query)
            functions[f"selector, {label}"] = lambda period=period: report_summary(
                organization=organization, report_range=period
            )
            functions[f"raw SQL, {label}"] = lambda script=script: raw.run(script)
        iterations = max(1, CALLS_PER_ROUND_TASKS // n_tasks)
        results = time_interleaved(functions, iterations=iterations, repeats=repeats)
        print(f"median of {repeats} interleaved rounds of {iterations} call(s) each (same figures checked):")
        print_timings(results, unit_ms_digits=1)
        for label in scripts:
            for kind in ("API", "selector"):
                ratio = results[f"{kind}, {label}"] / results[f"raw SQL, {label}"]
                print(f"  ratio {kind} / raw SQL, {label:<24} {ratio:6.2f}x")
        if show_plans:
            for label, script in scripts.items():
                print(f"\nEXPLAIN ANALYZE of the report's statements, {label}, {n_tasks:,} tasks:")
                raw.explain(script)
    finally:
        raw.close()
    return results


def run(scales: list[int], repeats: int, show_plans: bool, deleted_percent: int) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    figures = {}
    for n_tasks in scales:
        with test_database():
            figures[n_tasks] = run_scale(n_tasks, repeats, show_plans and n_tasks == scales[-1], deleted_percent)
    print_scale_curve(figures)
    largest = figures[scales[-1]]
    worst = max(ranges(), key=lambda label: largest[f"API, {label}"] / largest[f"raw SQL, {label}"])
    ratio = largest[f"API, {worst}"] / largest[f"raw SQL, {worst}"]
    print(f"\nratio API / raw SQL at {scales[-1]:,} tasks, {worst} (the worse range): {ratio:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scales_argument(parser)
    parser.add_argument("--repeats", type=int, default=7, help="interleaved timed rounds of each (median shown)")
    parser.add_argument(
        "--no-explain", dest="explain", action="store_false", help="skip EXPLAIN ANALYZE at the largest size"
    )
    parser.add_argument(
        "--deleted", type=int, default=0, help="percent of the tasks soft-deleted (in the trash), e.g. 10"
    )
    args = parser.parse_args(argv)
    setup_django()
    run(args.scales, args.repeats, args.explain, args.deleted)


if __name__ == "__main__":
    main()
