"""Django's PostgreSQL backend: its per-request health check answered by the connection's socket when it can be,
timestamps read by psycopg's C loader, and statements that are the same for every value sent prepared.

With ``CONN_HEALTH_CHECKS`` (persistent connections, ``config/settings/core.py``), Django sends ``SELECT 1`` before
the first statement of every request that reuses a connection: a round trip to PostgreSQL per request, a third of
a task list's (docs/performance.md, issue 16's fixed cost). Yet when a server restarts, is stopped or ends a
session (``pg_terminate_backend``), it tells each client before closing its socket, and the socket becomes
readable. So a connection that is idle, outside a transaction, in good standing and whose socket has nothing to read
(a non-blocking ``poll``, no round trip) is taken as usable; anything else (something to read, an error, a
transaction left open) gets Django's ``SELECT 1`` as before, and a connection that fails it is replaced.
Both miss a connection that breaks after the check and before the request's first statement, and a network that
drops packets without closing anything; that request answers 503 and the connection is replaced at its end, as
before (``tests/faults/test_postgres_restart.py``).

Django registers a ``timestamptz`` loader of its own, a subclass of psycopg's pure-Python one that sets each value's
time zone to the database's; psycopg's C loader cannot be subclassed, so every timestamp of every row went through
Python (a page of tasks reads 40-60 of them: issue 16's fixed cost). With ``USE_TZ`` and the database in UTC (the
project's settings), the connection's ``TimeZone`` is UTC (Django sets it when it connects) and the C loader gives the
very same values, in ``datetime.timezone.utc``. ``UtcTimestampLoader`` stands where Django's loader stood and makes
the C loader for a connection in UTC, Django's otherwise (a session that ran ``SET TIME ZONE``).

Django binds every statement's values on the client (``ClientCursor``): PostgreSQL parses and plans each one anew.
For a page of tasks that planning costs more than running it (the task table has a dozen indexes to weigh).
Inside ``prepared_cursors()``, the connection's new cursors bind on the server instead (psycopg's ``Cursor``), and
psycopg prepares a statement the ``prepare_threshold``-th time the connection sends it. ``config.statements`` asks
for it only for the statements whose best plan is the same for every value they are sent (docs/performance.md, "The
sixth round", for that rule and the figures), so the connection tells PostgreSQL to plan such a statement once, for
any value, and keep that plan (``plan_cache_mode = force_generic_plan``, set when it connects). Left to itself
(``auto``) PostgreSQL plans a prepared statement anew on each of its first five runs and keeps planning it whenever
the plan for any value is estimated dearer than those: the page of a person in several organizations, whose plan
for any value guesses at an array of unknown length, was planned on every request (docs/performance.md, "Issue 16's
goals in one run", for the figures). The setting changes no other statement: the rest are
bound on the client and reach PostgreSQL with their values, without parameters to plan for. ``prepare_threshold``
``None`` (``DB_PREPARED_STATEMENTS=false``, for a pooler in transaction mode, which cannot keep a session's prepared
statements) makes ``prepared_cursors()`` change nothing, and leaves ``plan_cache_mode`` as the server has it.
"""

import contextlib
import datetime
import functools
import select

import psycopg
from django.db.backends.postgresql import base, operations
from psycopg import adapt, pq
from psycopg.types.datetime import TimestamptzLoader

_C_LOADER = adapt.AdaptersMap._get_optimised(TimestamptzLoader)  # the C class when psycopg's binary build is there


@functools.lru_cache
def _utc_adapters(template: adapt.AdaptersMap) -> adapt.AdaptersMap:
    """Django's adapters (``get_adapters_template``) with ``UtcTimestampLoader`` in place of its timestamp loader."""
    djangos = template.get_loader(base.TIMESTAMPTZ_OID, pq.Format.TEXT)

    class UtcTimestampLoader:
        format = pq.Format.TEXT
        timezone = datetime.UTC  # read by Django's create_cursor, which registers its own on a mismatch

        def __new__(cls, oid, context=None):
            connection = getattr(context, "connection", None)
            if connection is not None and connection.info.parameter_status("TimeZone") == "UTC":
                return _C_LOADER(oid, context)
            return djangos(oid, context)

    adapters = adapt.AdaptersMap(template)
    adapters.register_loader(base.TIMESTAMPTZ_OID, UtcTimestampLoader)
    return adapters


class PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, recovering from a prepared statement the server no longer runs as prepared:
    its result's type changed under it (``ALTER TABLE`` by a migration on another connection: "cached plan must
    not change result type", which PostgreSQL then answers on every run) or the statement is gone (a pooler that
    lost the session). psycopg would keep sending it; this drops what the connection prepared, so the statement is
    prepared anew, and outside a transaction sends it again at once (a list's read: the request never sees it)."""

    def execute(self, query, params=None, **kwargs):
        try:
            return super().execute(query, params, **kwargs)
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.InvalidSqlStatementName):
            connection = self.connection
            # psycopg's record of what it prepared (no public call drops it; psycopg is pinned, and
            # tests/tasks_app/test_prepared_statements.py fails if this stops working): cleared, the server's
            # statements are deallocated before the next one is sent.
            connection._prepared.clear()
            if connection.info.transaction_status != pq.TransactionStatus.IDLE:
                raise  # inside a transaction, which the error aborted: its rollback clears them too
            return super().execute(query, params, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The statement with its values, for a cursor binding on the server too (Django reads the client's text,
        which such a cursor does not have: its statement holds ``$1``)."""
        if isinstance(cursor, psycopg.ClientCursor):
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except psycopg.errors.DataError:
            return None


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _preparing = 0  # depth of prepared_cursors()

    @contextlib.contextmanager
    def prepared_cursors(self):
        """New cursors bind their values on the server, so psycopg may prepare their statements (the module's
        docstring). Statements of this connection only: the wrapper is the thread's own."""
        self._preparing += 1
        try:
            yield
        finally:
            self._preparing -= 1

    def create_cursor(self, name=None):
        if name or not self._preparing or self.connection.prepare_threshold is None:
            return super().create_cursor(name)
        cursor = PreparingCursor(self.connection)
        if self.timezone != self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, pq.Format.TEXT).timezone:
            base.register_tzloader(self.timezone, cursor)  # as Django's create_cursor does
        return cursor

    def _configure_connection(self, connection):
        """Django's set-up of a new connection (time zone, role; also run by a psycopg pool), and, where statements
        are prepared, the plan of a prepared statement made once for any value and kept (the module's docstring)."""
        commit = super()._configure_connection(connection)
        if connection.prepare_threshold is not None:
            connection.execute("SET plan_cache_mode = force_generic_plan")
            commit = True
        return commit

    def get_connection_params(self):
        params = super().get_connection_params()
        if self.timezone is datetime.UTC and _C_LOADER is not TimestamptzLoader:
            params["context"] = _utc_adapters(params["context"])
        return params

    def close_if_health_check_failed(self):
        checking = self.connection is not None and self.health_check_enabled and not self.health_check_done
        if checking and self._quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """The connection is idle and in good standing, and the server sent nothing since its last answer."""
        try:
            pgconn = self.connection.pgconn
            if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
                return False
            poller = select.poll()  # not select(): it refuses a descriptor past 1,023 (a process holding many streams)
            poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            events = poller.poll(0)
        except Exception:  # a closed connection, a socket gone: Django's own check decides
            return False
        return not events
