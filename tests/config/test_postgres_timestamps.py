"""Timestamps read by psycopg's C loader (``config/postgresql/base.py``): the values Django's own loader gives, in
``datetime.timezone.utc``, without a Python call per value; Django's loader where the session is not in UTC."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from tests.factories import MembershipFactory, TaskFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

VALUES = [
    "2026-12-01 05:06:07.891234+00",
    "2026-07-01 05:06:07+02",
    "1999-12-31 23:59:59.999999-11:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def read(cursor, values) -> list:
    cursor.execute("SELECT v::timestamptz FROM unnest(%s::text[]) AS v", [values])
    return [row[0] for row in cursor.fetchall()]


def test_the_connection_reads_timestamps_with_the_c_loader():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (now,) = cursor.fetchone()
        loader = cursor.cursor._tx.get_loader(1184, 0)  # psycopg's transformer: the loader this cursor used
    assert type(loader).__module__.startswith("psycopg_binary")
    assert now.tzinfo is datetime.UTC


def test_it_reads_what_djangos_loader_reads():
    with connection.cursor() as cursor:
        ours = read(cursor, VALUES)
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor.cursor)  # Django's loader, on this cursor alone
        djangos = read(cursor, VALUES)
        assert not type(cursor.cursor._tx.get_loader(1184, 0)).__module__.startswith("psycopg_binary")
    assert ours == djangos
    assert [value.tzinfo for value in ours] == [datetime.UTC] * len(VALUES)
    assert ours[1] == datetime.datetime(2026, 7, 1, 3, 6, 7, tzinfo=datetime.UTC)


def test_a_session_in_another_time_zone_gets_djangos_loader():
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
        try:
            cursor.execute("SELECT '2026-07-01 05:06:07+00'::timestamptz")
            (value,) = cursor.fetchone()
            loader = cursor.cursor._tx.get_loader(1184, 0)
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert not type(loader).__module__.startswith("psycopg_binary")
    # Django's loader: the session's wall clock labelled with Django's zone, as Django reads it in that case.
    assert value == datetime.datetime(2026, 7, 1, 7, 6, 7, tzinfo=datetime.UTC)


def test_a_task_reads_back_its_times_through_the_api(client_for):
    membership = MembershipFactory()
    task = TaskFactory(organization=membership.organization, created_by=membership.user)
    body = client_for(membership.user).get(f"/api/v1/tasks/{task.pk}").json()
    task.refresh_from_db()
    assert task.created_at.tzinfo is datetime.UTC
    assert body["created_at"] == task.created_at.isoformat().replace("+00:00", "Z")
