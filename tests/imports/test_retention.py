"""Uploaded CSV files are deleted RETENTION_IMPORT_FILES_DAYS after their import ended; the jobs stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.errors import Conflict
from imports import services
from imports.models import ImportJob, ImportState
from tests.factories import ImportJobFactory, ImportRowErrorFactory
from tests.imports.conftest import job_url
from tests.organizations.assertions import assert_page

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def has_file(job: ImportJob) -> bool:
    name = job.file.name
    job.refresh_from_db()
    return bool(job.file) and job.file.storage.exists(name)


def test_only_files_of_imports_that_ended_more_than_the_age_ago_go(settings):
    settings.RETENTION_IMPORT_FILES_DAYS = 7
    cutoff = NOW - timedelta(days=7)
    ended = {
        state: ImportJobFactory(state=state, finished_at=cutoff - timedelta(seconds=1))
        for state in (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.CANCELLED)
    }
    at_cutoff = ImportJobFactory(state=ImportState.SUCCEEDED, finished_at=cutoff)
    recent = ImportJobFactory(state=ImportState.SUCCEEDED, finished_at=NOW)
    old_and_running = ImportJobFactory(state=ImportState.RUNNING, created_at=NOW - timedelta(days=30))
    names = {state: job.file.name for state, job in ended.items()}

    assert services.import_files_purge(now=NOW, dry_run=True) == 3
    assert all(has_file(job) for job in ended.values())
    assert services.import_files_purge(now=NOW, batch_size=2) == 3

    storage = at_cutoff.file.storage
    assert not any(storage.exists(name) for name in names.values())
    assert all(has_file(job) for job in (at_cutoff, recent, old_and_running))
    assert ImportJob.objects.count() == 6
    assert set(ImportJob.objects.filter(file="").values_list("pk", flat=True)) == {job.pk for job in ended.values()}


def test_the_job_keeps_its_counts_and_errors(org, client_as):
    job = ImportJobFactory(
        organization=org.organization,
        state=ImportState.SUCCEEDED,
        finished_at=NOW - timedelta(days=30),
        created=4,
        failed=1,
        errors_recorded=1,
        created_by=org.users["admin"],
    )
    ImportRowErrorFactory(job=job)
    assert services.import_files_purge(now=NOW) == 1
    client = client_as("admin")
    body = client.get(job_url(job.pk)).json()
    assert (body["state"], body["created"], body["failed"], body["file_name"]) == ("succeeded", 4, 1, "tasks.csv")
    assert len(assert_page(client.get(job_url(job.pk, "/errors")))) == 1


def test_a_job_whose_file_is_gone_cannot_be_retried():
    job = ImportJobFactory(state=ImportState.FAILED, finished_at=NOW - timedelta(days=30))
    services.import_files_purge(now=NOW)
    with pytest.raises(Conflict, match="file was deleted"):
        services.import_job_retry(job=job)
