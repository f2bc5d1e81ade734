"""Real Celery workers for worker-level tests: subprocesses on Redis, against this test database.

Use the ``celery_worker`` fixture (from tests/conftest.py): ``start = celery_worker(**extra_env)``
returns a function that starts one more worker on a queue private to the test; this process
enqueues to that queue. Tests using it need ``@pytest.mark.redis``, ``@pytest.mark.postgres``
and ``@pytest.mark.django_db(transaction=True)`` (the worker reads committed rows).
"""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.django_process import ROOT

WORKER_OPTIONS = ["-c", "1", "--pool", "solo", "-l", "WARNING", "--without-heartbeat", "--without-mingle"]


def worker_env(tmp_path, **extra) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_EAGER_PROPAGATES": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        **{key: str(value) for key, value in extra.items()},
    }


@pytest.fixture
def celery_worker(tmp_path, monkeypatch):
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    processes: list[subprocess.Popen] = []

    def configure(**extra_env):
        env = worker_env(tmp_path, **extra_env)

        def start() -> subprocess.Popen:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, *WORKER_OPTIONS],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(process)
            return process

        return start

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app.conf, "task_default_queue", queue)
    configure.outbox = tmp_path
    try:
        yield configure
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until(predicate, timeout: float = 60, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s: {message}")
