"""The plan of the report's percentile query on PostgreSQL: read off its index alone, and sorted in memory.

``percentile_cont`` sorts the cycle times of every task completed in the range: about 340,000 for two
years at a million tasks, more than PostgreSQL's default ``work_mem`` (4 MB) holds, so the sort went to
temporary files (docs/performance.md, "Reports"). The report raises ``work_mem`` for its transaction to
what its count needs. Here the session's ``work_mem`` is lowered to PostgreSQL's least (64 kB), so that
the few thousand values of a test's data set spill as a million tasks' would at the default, unless the
report sizes the sort. The data set is the benchmarks' (``benchmarks/dataset.py``), vacuumed and analyzed,
so the planner sees what it sees in production: all-visible pages and real statistics.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.dataset import build
from reports.selectors import SORT_BYTES_PER_VALUE
from tests.reports.conftest import report_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TASKS = 20_000
LEAST_WORK_MEM = 64 * 1024


@pytest.fixture
def bench():
    return build([TASKS])


@pytest.fixture
def small_work_mem():
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '64kB'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET work_mem")


def two_years() -> dict:
    today = datetime.date.today()
    return {"from": (today - datetime.timedelta(days=729)).isoformat(), "to": today.isoformat()}


def report_statements(client, organization, query) -> tuple[dict, list[str]]:
    """The report's JSON and the SQL its request sent, in order."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(report_url(organization.pk), query)
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in captured.captured_queries]


def plan_of(statement: str, *, after: list[str]) -> dict:
    """EXPLAIN ANALYZE of ``statement`` run in one transaction after the ``after`` statements."""
    with transaction.atomic(), connection.cursor() as cursor:
        for earlier in after:
            cursor.execute(earlier)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement)
        return cursor.fetchone()[0][0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def temp_blocks_written(plan: dict) -> int:
    """Blocks written to temporary files by any node: a sort (or hash) that spilled to disk."""
    return sum(node.get("Temp Written Blocks", 0) for node in nodes(plan))


def reads_its_index_alone(plan: dict) -> bool:
    return any(
        node["Node Type"] == "Index Only Scan" and node.get("Index Name") == "task_org_completed_idx"
        for node in nodes(plan)
    )


def test_the_percentile_sort_stays_in_memory_and_reads_its_index(bench, client_for, small_work_mem):
    client = client_for(bench.owner)
    for query in ({}, two_years()):  # the default range, and the longest, whose sort spilled
        report, statements = report_statements(client, bench.organization, query)
        percentile = [sql for sql in statements if "PERCENTILE_CONT" in sql]
        sizing = [sql for sql in statements if "work_mem" in sql]
        assert len(percentile) == len(sizing) == 1, statements

        plan = plan_of(percentile[0], after=sizing)
        assert reads_its_index_alone(plan), plan
        assert temp_blocks_written(plan) == 0, plan

    # What the check above would see if the report stopped sizing its sort: the same query spills.
    assert report["cycle_time"]["completed"] * SORT_BYTES_PER_VALUE > 2 * LEAST_WORK_MEM
    assert temp_blocks_written(plan_of(percentile[0], after=[])) > 0
