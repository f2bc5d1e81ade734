import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.tasks import sweep_jobs
from imports import services
from imports.models import ImportJob

TASK_HEADER = "title,description,status,priority,assignee_email,due_date"


def sweep_imports() -> int:
    """The one beat sweep (``config.tasks.sweep_jobs``); what it did to imports: jobs enqueued or given up."""
    return sweep_jobs()[ImportJob._meta.label]


def imports_url(organization_id) -> str:
    return f"/api/v1/organizations/{organization_id}/imports"


def job_url(job_id, suffix: str = "") -> str:
    return f"/api/v1/imports/{job_id}{suffix}"


def csv_bytes(*lines: str, delimiter: str = ",", bom: bool = False, newline: str = "\n") -> bytes:
    """A CSV file from comma-separated lines, written with ``delimiter`` instead of commas."""
    text = newline.join(line.replace(",", delimiter) for line in lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def task_rows(count: int, *, start: int = 0, assignee: str = "") -> list[str]:
    return [
        f"Task {start + i},Description {start + i},todo,high,{assignee},2030-01-{1 + i % 28:02d}" for i in range(count)
    ]


def tasks_csv(count: int, **kwargs) -> bytes:
    return csv_bytes(TASK_HEADER, *task_rows(count, **kwargs))


@pytest.fixture
def upload(client_as, org, django_capture_on_commit_callbacks):
    """``upload(content, kind=..., mode=..., dry_run=..., caller="admin")``: POST a file as that caller and, unless
    ``run=False``, run what the upload enqueued (eager Celery, on commit). Returns the response."""

    def post(content: bytes, *, caller="admin", name="data.csv", organization_id=None, run=True, **fields):
        fields.setdefault("kind", "tasks")
        client = client_as(caller) if isinstance(caller, str) else caller
        data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **fields}
        url = imports_url(organization_id or org.id)
        if not run:  # the test's transaction never commits: the job stays pending
            return client.post(url, data, format="multipart")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, format="multipart")

    return post


@pytest.fixture
def imported(upload):
    """``imported(content, ...)``: upload as an admin, expect 202, return the job as it ended (or pending)."""

    def run(content: bytes, **fields) -> ImportJob:
        response = upload(content, **fields)
        assert response.status_code == 202, response.content
        return ImportJob.objects.get(pk=response.json()["id"])

    return run


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """``run_job(job)``: what the Celery task does, with what it enqueues on commit run too."""

    def run(job):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return run
