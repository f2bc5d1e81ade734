"""The per-request health check of a persistent PostgreSQL connection (``config/postgresql/base.py``): a quiet
connection is reused without a ``SELECT 1`` round trip; one the server ended is replaced before a request uses it."""

import select
import time

import psycopg
import pytest
from django.db import connection, connections

from config.postgresql.base import DatabaseWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_trips(monkeypatch):
    """Each ``SELECT 1`` Django's health check sends (``is_usable``), with its outcome."""
    sent = []
    original = DatabaseWrapper.is_usable

    def counted(self):
        usable = original(self)
        sent.append(usable)
        return usable

    monkeypatch.setattr(DatabaseWrapper, "is_usable", counted)
    return sent


def next_request() -> int:
    """What Django does between two requests (``close_old_connections``), then the request's first statement;
    the PostgreSQL process that answered it."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_backend_is_the_projects_and_checks_connections():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_quiet_connection_is_reused_without_a_round_trip(round_trips):
    first = next_request()
    assert [next_request() for _ in range(3)] == [first] * 3
    assert round_trips == []


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(round_trips):
    ended = next_request()
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
    socket = connection.connection.pgconn.socket
    deadline = time.monotonic() + 5
    while not select.select([socket], [], [], 0.05)[0]:  # the server's goodbye reaches the socket
        assert time.monotonic() < deadline, "the ended connection's socket never became readable"
    assert next_request() != ended  # answered, by a new connection
    assert round_trips == [False]  # the socket said something: Django's SELECT 1 was sent, failed, and replaced it


def test_a_connection_left_in_a_transaction_gets_the_round_trip(round_trips):
    next_request()
    connection.connection.execute("BEGIN")  # as a request that failed half-way through would leave it
    try:
        connection.health_check_done = False
        connection.close_if_health_check_failed()
    finally:
        if connection.connection is not None:
            connection.connection.execute("ROLLBACK")
    assert round_trips == [True]
