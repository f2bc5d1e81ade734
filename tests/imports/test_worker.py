"""A real Celery worker on Redis runs an import enqueued by the API, against the PostgreSQL test database."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from devtools.processes import wait_until
from imports import services
from imports.models import ImportJob
from tasks_app.models import Task
from tests.imports.conftest import imports_url, tasks_csv

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(celery_worker):
    """One worker on this test's queue and media folder, loading in small batches."""
    return celery_worker(MEDIA_ROOT=settings.MEDIA_ROOT, IMPORT_BATCH_SIZE=7)()


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
    wait_until(
        lambda: ImportJob.objects.get(pk=job_id).state not in ("pending", "running"),
        timeout=60,
        message="the worker never finished the import",
    )
    job = ImportJob.objects.get(pk=job_id)
    assert job.state == "succeeded", (job.state, job.message, job.last_error)
    assert (job.total, job.processed, job.created) == (30, 30, 30)
    assert Task.objects.filter(import_job_id=job.pk).count() == 30
    status = client_as("admin").get(f"/api/v1/imports/{job_id}/status").json()
    assert (status["state"], status["progress"]) == ("succeeded", 100)
