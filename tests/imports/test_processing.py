"""How jobs run: batches with checkpoints, resuming after a crash, cancel, one job at a time per organization."""

from datetime import timedelta

import pytest
from django.utils import timezone

from imports import runner, services
from imports.kinds.tasks import TaskImport
from imports.models import ImportJob
from imports.tasks import run_import
from tasks_app import services as task_services
from tasks_app.models import Task, TaskActivity
from tests.imports.conftest import TASK_HEADER, csv_bytes, job_url, sweep_imports, task_rows, tasks_csv

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


def pending_job(upload, content=None, **fields) -> ImportJob:
    response = upload(content or tasks_csv(10), run=False, **fields)
    assert response.status_code == 202, response.content
    return ImportJob.objects.get(pk=response.json()["id"])


def go_stale(job: ImportJob, minutes: int = 60) -> None:
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))


def kill_after_batch(monkeypatch, number: int) -> None:
    """The worker dies right after the ``number``-th batch (and its checkpoint) committed."""
    original = runner.ImportRun._commit
    calls = []

    def commit(self, **kwargs):
        original(self, **kwargs)
        calls.append(1)
        if len(calls) == number:
            raise WorkerKilled()

    monkeypatch.setattr(runner.ImportRun, "_commit", commit)


def kill_inside_batch(monkeypatch, number: int) -> None:
    """The worker dies while the ``number``-th batch is loading: its rows are written, not committed."""
    original = task_services.task_bulk_load
    calls = []

    def load(**kwargs):
        created = original(**kwargs)
        calls.append(1)
        if len(calls) == number:
            raise WorkerKilled()
        return created

    monkeypatch.setattr(task_services, "task_bulk_load", load)


def titles() -> list[str]:
    return sorted(Task.objects.values_list("title", flat=True), key=lambda title: int(title.split()[1]))


@pytest.mark.parametrize(
    ("kill", "batch"),
    [(kill_after_batch, 2), (kill_inside_batch, 3)],
    ids=["killed-between-batches", "killed-inside-a-batch"],
)
def test_a_job_killed_mid_way_resumes_from_its_checkpoint_without_loss_or_duplicates(
    upload, settings, monkeypatch, client_as, kill, batch, django_capture_on_commit_callbacks
):
    settings.IMPORT_BATCH_SIZE = 3
    content = csv_bytes(TASK_HEADER, *task_rows(4), "Bad,,never,,,", *task_rows(6, start=4))
    job = pending_job(upload, content)
    kill(monkeypatch, batch)
    with pytest.raises(WorkerKilled):
        run_import(str(job.pk))
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.state == "running"
    assert job.processed == 6  # two batches of three committed: the checkpoint
    assert Task.objects.count() == 5  # one of those six rows is invalid
    status = client_as("admin").get(job_url(job.pk, "/status")).json()
    assert (status["state"], status["processed"], status["progress"]) == ("running", 6, 54)

    # While its heartbeat is fresh nobody takes it over, not even the task run again.
    assert sweep_imports() == 0
    assert run_import(str(job.pk)) is None

    go_stale(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_imports() == 1
    job.refresh_from_db()
    assert (job.state, job.total, job.processed, job.created, job.failed) == ("succeeded", 11, 11, 10, 1)
    assert titles() == [f"Task {i}" for i in range(10)]
    assert not TaskActivity.objects.exists()  # each task's "imported" entry is read from the task
    assert job.row_errors.count() == 1
    assert job.summary == {}  # nobody assigned
    assert job.attempts == 1


def test_a_run_that_raises_is_resumed_by_the_sweep_and_records_the_error(upload, monkeypatch, settings, run_job):
    settings.IMPORT_BATCH_SIZE = 4
    job = pending_job(upload)
    original = task_services.task_bulk_load
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(task_services, "task_bulk_load", flaky)
    job = run_job(job)
    assert (job.state, job.processed, job.heartbeat_at) == ("running", 4, None)
    assert "database went away" in job.last_error
    sweep_imports()  # no heartbeat at all: resumed at once
    job.refresh_from_db()
    assert (job.state, job.created) == ("succeeded", 10)
    assert titles() == [f"Task {i}" for i in range(10)]


def test_a_row_that_breaks_the_read_ahead_stops_the_run_after_the_batches_before_it(
    upload, monkeypatch, settings, run_job
):
    """Rows are read and validated one batch ahead, in a second thread: what goes wrong there stops the
    run as if it happened in the run itself, after the batches already committed, and the job resumes."""
    settings.IMPORT_BATCH_SIZE = 3
    job = pending_job(upload)
    original = TaskImport.validator

    def breaking(self, match):
        validate = original(self, match)

        def checked(cells):
            if cells[0] == "Task 7":
                raise RuntimeError("the disk went away")
            return validate(cells)

        return checked

    monkeypatch.setattr(TaskImport, "validator", breaking)
    job = run_job(job)
    assert (job.state, job.processed, job.heartbeat_at) == ("running", 6, None)  # rows 0-5: two batches
    assert "the disk went away" in job.last_error
    assert titles() == [f"Task {i}" for i in range(6)]
    monkeypatch.undo()
    sweep_imports()
    job.refresh_from_db()
    assert (job.state, job.created, job.processed) == ("succeeded", 10, 10)
    assert titles() == [f"Task {i}" for i in range(10)]


def test_a_job_that_keeps_dying_is_failed_and_stops_blocking_its_organization(
    upload, settings, run_job, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ATTEMPTS = 2
    stuck = pending_job(upload, tasks_csv(2))
    ImportJob.objects.filter(pk=stuck.pk).update(state="running", attempts=2)
    go_stale(stuck)
    behind = pending_job(upload, tasks_csv(3, start=10))
    assert run_job(behind).state == "pending"  # the stuck job is first in line
    with django_capture_on_commit_callbacks(execute=True):
        sweep_imports()
    stuck.refresh_from_db()
    behind.refresh_from_db()
    assert stuck.state == "failed"
    assert "given up" in stuck.message
    assert behind.state == "succeeded"
    assert Task.objects.count() == 3


def test_jobs_of_one_organization_run_one_at_a_time_in_order(upload, other_org, client_for, run_job):
    first = pending_job(upload, tasks_csv(2))
    second = pending_job(upload, tasks_csv(2, start=2))
    elsewhere = pending_job(
        upload, tasks_csv(1, start=9), caller=client_for(other_org.admin), organization_id=other_org.id
    )
    # The second waits for the first; another organization's job does not.
    assert run_job(second).state == "pending"
    assert run_job(elsewhere).state == "succeeded"
    # A first job that is running (fresh heartbeat) blocks the second as well.
    ImportJob.objects.filter(pk=first.pk).update(state="running", heartbeat_at=timezone.now())
    assert run_job(second).state == "pending"
    ImportJob.objects.filter(pk=first.pk).update(state="pending", heartbeat_at=None)
    # When the first ends it starts the second.
    first = run_job(first)
    second.refresh_from_db()
    assert (first.state, second.state) == ("succeeded", "succeeded")
    assert second.started_at >= first.finished_at


def test_a_failed_job_does_not_block_the_next(imported, upload, run_job):
    failed = imported(csv_bytes("name", "x"))
    assert failed.state == "failed"
    assert run_job(pending_job(upload, tasks_csv(1))).state == "succeeded"


def test_the_sweep_starts_pending_jobs_whose_message_was_lost(upload, django_capture_on_commit_callbacks):
    job = pending_job(upload, tasks_csv(2))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_imports() == 1
    job.refresh_from_db()
    assert job.state == "succeeded"
    assert sweep_imports() == 0


def test_running_the_task_twice_or_for_a_finished_job_does_nothing(imported):
    job = imported(tasks_csv(3))
    assert run_import(str(job.pk)) is None
    assert run_import("00000000-0000-0000-0000-000000000000") is None
    assert Task.objects.count() == 3


# --- Cancel ----------------------------------------------------------------------------------


def test_cancelling_a_pending_job_means_it_never_runs(upload, client_as, org):
    job = pending_job(upload)
    response = client_as("admin").post(job_url(job.pk, "/cancel"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert run_import(str(job.pk)) is None
    assert not Task.objects.exists()


def test_cancel_stops_a_running_job_between_batches(upload, client_as, settings, monkeypatch, run_job, org):
    settings.IMPORT_BATCH_SIZE = 2
    job = pending_job(upload, tasks_csv(10, assignee=org.member.email))
    original = runner.ImportRun._commit
    client = client_as("owner")

    def commit(self, **kwargs):
        original(self, **kwargs)
        if self.job.processed == 4:
            assert client.post(job_url(job.pk, "/cancel")).json()["state"] == "cancelled"

    monkeypatch.setattr(runner.ImportRun, "_commit", commit)
    job = run_job(job)
    assert (job.state, job.processed, job.created) == ("cancelled", 4, 4)
    assert job.message == f"Cancelled by {org.owner.email}."
    assert Task.objects.count() == 4
    # The importer hears it ended; the assignee gets the summary of what was loaded.
    from notifications.models import Notification

    assert Notification.objects.get(kind="import_finished").recipient_id == org.admin.pk
    assert Notification.objects.get(kind="import_summary", recipient=org.member).data["assigned_to_you"] == 4


def test_a_finished_job_cannot_be_cancelled(imported, client_as):
    job = imported(tasks_csv(1))
    response = client_as("admin").post(job_url(job.pk, "/cancel"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"


# --- Retry, limits on errors -----------------------------------------------------------------


def test_retry_resumes_a_failed_job_from_its_checkpoint(upload, settings, run_job, django_capture_on_commit_callbacks):
    settings.IMPORT_BATCH_SIZE = 4
    job = pending_job(upload)
    ImportJob.objects.filter(pk=job.pk).update(state="failed", processed=4, last_line=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_retry(job=job)
    job.refresh_from_db()
    assert (job.state, job.processed, job.created) == ("succeeded", 10, 6)
    assert titles() == [f"Task {i}" for i in range(4, 10)]


def test_only_finished_unsuccessful_jobs_can_be_retried(imported):
    from config.errors import Conflict

    with pytest.raises(Conflict):
        services.import_job_retry(job=imported(tasks_csv(1)))


def test_rejected_rows_are_recorded_up_to_the_limit_and_counted_past_it(imported, settings):
    settings.IMPORT_MAX_ERRORS = 5
    settings.IMPORT_BATCH_SIZE = 3
    job = imported(csv_bytes(TASK_HEADER, *[f",d{i},,,," for i in range(8)], *task_rows(2)))
    assert (job.failed, job.created, job.errors_recorded, job.row_errors.count()) == (8, 2, 5, 5)
    assert list(job.row_errors.values_list("line", flat=True)) == [2, 3, 4, 5, 6]


def test_a_job_whose_file_left_the_storage_fails_with_a_clear_message(upload, run_job):
    job = pending_job(upload, tasks_csv(2))
    job.file.storage.delete(job.file.name)
    job = run_job(job)
    assert job.state == "failed"
    assert "no longer in storage" in job.message
