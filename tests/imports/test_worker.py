"""A real Celery worker on Redis runs an import enqueued by the API, against the PostgreSQL test database."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from config.celery import app
from imports import services
from imports.models import ImportJob
from tasks_app.models import Task
from tests.django_process import ROOT
from tests.imports.conftest import imports_url, tasks_csv

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """``celery worker`` on a queue of its own, against this test database and media folder."""
    queue = f"test-imports-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "IMPORT_BATCH_SIZE": "7",
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "solo",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app.conf, "task_default_queue", queue)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_an_import_is_run_by_a_real_worker(client_as, org, worker, monkeypatch):
    def not_here(**kwargs):
        raise AssertionError("the import ran in the test process, not in the worker")

    monkeypatch.setattr(services, "import_job_run", not_here)
    # Nobody to email: the worker's own follow-up tasks would go to a queue no test consumes.
    type(org.admin).objects.filter(pk=org.admin.pk).update(notify_email=False)
    data = {"kind": "tasks", "file": SimpleUploadedFile("tasks.csv", tasks_csv(30))}
    response = client_as("admin").post(imports_url(org.id), data, format="multipart")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    deadline = time.monotonic() + 60
    job = ImportJob.objects.get(pk=job_id)
    while job.state in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.state == "succeeded", (job.state, job.message, job.last_error)
    assert (job.total, job.processed, job.created) == (30, 30, 30)
    assert Task.objects.filter(import_job_id=job.pk).count() == 30
    status = client_as("admin").get(f"/api/v1/imports/{job_id}/status").json()
    assert (status["state"], status["progress"]) == ("succeeded", 100)
