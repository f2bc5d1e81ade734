"""A Celery worker outlives a Redis outage that hits a running import, and goes on consuming.

The worker runs as docker-compose.yml runs it (prefork pool, two processes), on a Redis of its own
(devtools/processes.py) and this test database. The import is held inside its claim by a row lock
the test takes, so it is surely running when Redis is killed; Redis stays down for a while (the
worker fails to reconnect several times) and comes back on the same port; then the lock is released,
the import ends and its late ack goes to the torn-down connection. Both moments used to stop the
worker ("Unrecoverable error: AttributeError(\"'NoneType' object has no attribute 'hostname'\")");
see ``RedisTransport`` in config/celery.py. The same worker process must then run a second import.
"""

import subprocess
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from kombu import Connection
from psycopg import sql

from config.celery import app
from devtools.processes import celery_worker_start, database_url, stop_process, wait_until
from imports.models import FINISHED_STATES, ImportJob, ImportState
from tests.fixtures.processes import worker_env

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Long enough for the worker to fail several reconnection attempts (kombu waits 2, 4, 6... seconds
# between them); the failure it guards against does not depend on the length.
OUTAGE_SECONDS = 20


class Worker:
    def __init__(self, process: subprocess.Popen, log, queue: str):
        self.process, self.log, self.queue = process, log, queue

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_running(self) -> None:
        """Fail at once when the worker stopped, or is stopping on an error it cannot recover from."""
        output = self.output()
        assert self.process.poll() is None, f"the worker exited with {self.process.returncode}\n{output}"
        assert "Unrecoverable error" not in output, output


@pytest.fixture
def worker(redis_server, workspace, tmp_path):
    queue = f"drill-{uuid.uuid4().hex[:8]}"
    env = worker_env(tmp_path, REDIS_URL=redis_server.url, MEDIA_ROOT=settings.MEDIA_ROOT)
    log = tmp_path / "worker.log"
    # As docker-compose.yml runs it: the prefork pool, two processes.
    process = celery_worker_start(queue=queue, env=env, options=("-c", "2", "-l", "INFO"), log=log)
    try:
        yield Worker(process, log, queue)
    finally:
        stop_process(process, timeout=20)


def new_import(workspace) -> ImportJob:
    job = ImportJob(
        organization=workspace["organization"], created_by=workspace["owner"], kind="tasks", original_name="t.csv"
    )
    job.file.save("t.csv", ContentFile(b"title\nImported during the drill\n"), save=False)
    job.save()
    return job


def enqueue(redis_server, worker, job) -> None:
    with Connection(redis_server.url) as broker:
        app.send_task("imports.tasks.run_import", args=[str(job.pk)], queue=worker.queue, connection=broker)


def finished(job, worker) -> bool:
    worker.assert_running()
    job.refresh_from_db()
    return job.state in FINISHED_STATES


def test_a_worker_survives_a_broker_outage_during_an_import_and_goes_on_consuming(
    redis_server, worker, workspace, monkeypatch
):
    monkeypatch.setattr(app.conf, "task_always_eager", False)  # the test settings run tasks in-process
    first = new_import(workspace)
    with psycopg.connect(database_url(connection.settings_dict)) as lock:
        # Hold the job's row: the worker's claim waits on it, inside the task.
        row = sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(ImportJob._meta.db_table))
        lock.execute(row, [first.pk])
        enqueue(redis_server, worker, first)

        def import_waits_on_the_lock():
            with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as probe:
                (waiting,) = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()
            return waiting > 0

        worker.assert_running()
        wait_until(import_waits_on_the_lock, timeout=60, message=f"the import did not start\n{worker.output()}")

        redis_server.kill()
        time.sleep(OUTAGE_SECONDS)
        worker.assert_running()
        redis_server.start()
        lock.rollback()  # the import goes on and ends; its ack goes to the old connection

    wait_until(lambda: finished(first, worker), timeout=60, message=f"the first import did not end\n{worker.output()}")
    assert first.state == ImportState.SUCCEEDED, first.last_error

    second = new_import(workspace)
    enqueue(redis_server, worker, second)
    wait_until(
        lambda: finished(second, worker),
        timeout=90,
        message=f"the worker did not consume after the outage\n{worker.output()}",
    )
    assert second.state == ImportState.SUCCEEDED, second.last_error
    worker.assert_running()
