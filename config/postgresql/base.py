"""Django's PostgreSQL backend, its per-request health check answered by the connection's socket when it can be.

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
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
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
