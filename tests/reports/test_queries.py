"""The summary costs a fixed, small number of queries, whatever the organization's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Priority, Status
from tests.factories import MembershipFactory
from tests.reports.conftest import RANGE, report_url

pytestmark = pytest.mark.django_db

# Authentication's user and the membership, then the report: breakdown, assignee names, both weekly
# series in one statement, percentiles (on PostgreSQL the statement sizing the sort's memory and one
# query, two queries on SQLite).
MAX_QUERIES = 7


def grow(org, make_task, n):
    for i in range(n):
        user = MembershipFactory(organization=org.organization).user
        make_task(
            created=f"2030-01-{1 + i % 13:02d} 10:00",
            status=Status.DONE if i % 2 else Status.TODO,
            completed=f"2030-01-{1 + i % 13:02d} 18:00" if i % 2 else None,
            priority=Priority.values[i % 4],
            assignee=user,
        )


def count_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(report_url(org.id), RANGE).status_code == 200
    return len(context)


def test_the_query_count_does_not_grow_with_the_organization(org, client_as, make_task, freeze_today):
    freeze_today("2030-01-20")
    client = client_as("member")
    grow(org, make_task, 3)
    count_queries(
        client, org
    )  # what is cached about the person (config.person_cache) read once, as by any request before
    small = count_queries(client, org)
    grow(org, make_task, 40)
    assert count_queries(client, org) == small <= MAX_QUERIES


def test_nor_with_the_length_of_the_range(org, client_as, make_task, freeze_today):
    freeze_today("2030-01-20")
    grow(org, make_task, 5)
    client = client_as("member")
    client.get(
        report_url(org.id), RANGE
    )  # what is cached about the person (config.person_cache) read once, as by any request before
    with CaptureQueriesContext(connection) as two_weeks:
        client.get(report_url(org.id), {"from": "2030-01-01", "to": "2030-01-13"})
    with CaptureQueriesContext(connection) as two_years:
        client.get(report_url(org.id), {"from": "2028-01-14", "to": "2030-01-13"})
    assert len(two_weeks) == len(two_years) <= MAX_QUERIES


def test_summary_within_the_bound(dataset, org, client_as, freeze_today, django_assert_max_num_queries):
    freeze_today("2030-01-20")
    client = client_as("member")
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(report_url(org.id), RANGE).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(report_url(org.id), {**RANGE, "format": "csv"}).status_code == 200
