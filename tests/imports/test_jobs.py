"""Imports on the one job pattern (config/jobs.py): enqueued on commit, rescued by the one sweep, one class per kind."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from imports.kinds import KINDS, import_kind_for
from imports.kinds.base import CsvImport, LoadResult, Notice
from imports.models import ImportJob, ImportKind
from imports.tasks import run_import
from notifications.models import Notification
from tasks_app import services as task_services
from tasks_app.models import Task
from tests.imports.conftest import csv_bytes, sweep_imports, tasks_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Sending ``run_import`` fails as it does when Redis refuses connections; ``.up()`` brings it back."""

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(run_import, "delay", refuse)
    return monkeypatch


def test_an_upload_while_the_broker_is_down_answers_2xx_and_the_sweep_starts_it_later(upload, broker_down):
    response = upload(tasks_csv(3))  # runs the on-commit enqueue, which the broker refuses
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.state == "pending"
    assert sweep_imports() == 0  # still down: nothing sent, nothing lost
    job.refresh_from_db()
    assert job.state == "pending"

    broker_down.undo()
    assert sweep_imports() == 1
    job.refresh_from_db()
    assert (job.state, job.created) == ("succeeded", 3)
    assert Task.objects.count() == 3


def always_failing_load(monkeypatch, runs: list) -> None:
    def load(**kwargs):
        runs.append(1)
        raise ConnectionError("database went away")

    monkeypatch.setattr(task_services, "task_bulk_load", load)


def test_a_run_that_raises_is_released_and_the_next_claim_resumes_it_at_once(upload, monkeypatch, run_job):
    job = ImportJob.objects.get(pk=upload(tasks_csv(2), run=False).json()["id"])
    runs = []
    always_failing_load(monkeypatch, runs)
    job = run_job(job)
    assert (job.state, job.heartbeat_at, job.attempts) == ("running", None, 1)
    monkeypatch.undo()
    # Released, so not alive: the task run again (as manage.py import_csv does) takes it back.
    assert run_import(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert (job.created, job.attempts) == (2, 1)


def test_the_sweep_gives_up_an_import_past_its_attempts_and_tells_the_importer(
    upload, monkeypatch, settings, run_job, org, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ATTEMPTS = 2
    job = ImportJob.objects.get(pk=upload(tasks_csv(2), run=False).json()["id"])
    behind = ImportJob.objects.get(pk=upload(tasks_csv(1, start=5), run=False).json()["id"])
    runs = []
    always_failing_load(monkeypatch, runs)
    run_job(job)
    assert sweep_imports() == 1  # the released run is taken back and started again; it fails again
    job.refresh_from_db()
    assert (job.state, job.attempts, len(runs)) == ("running", 2, 2)
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_imports() == 2  # given up, and the organization's next job started
    job.refresh_from_db()
    assert (job.state, job.finished_at is not None) == ("failed", True)
    assert "given up" in job.message
    assert "database went away" in job.last_error  # staff keep the error of the last run
    finished = Notification.objects.get(kind="import_finished", target_id=job.pk)
    assert finished.recipient_id == org.admin.pk
    assert "failed" in finished.title
    # It no longer blocks its organization: the next import ran.
    behind.refresh_from_db()
    assert (behind.state, behind.created) == ("succeeded", 1)
    assert len(runs) == 2


def test_the_sweep_resumes_a_lost_import_from_its_checkpoint(upload, settings, run_job):
    settings.IMPORT_BATCH_SIZE = 2
    job = ImportJob.objects.get(pk=upload(tasks_csv(5), run=False).json()["id"])
    # A worker that died after its second batch: running, checkpoint at 4 rows, heartbeat stale.
    stale = timezone.now() - timedelta(minutes=settings.IMPORT_HEARTBEAT_TIMEOUT + 1)
    run_job(job)
    Task.objects.filter(title="Task 4").delete()
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", processed=4, last_line=5, created=4, attempts=1, heartbeat_at=stale, claimed_at=stale
    )
    assert sweep_imports() == 1
    job.refresh_from_db()
    assert (job.state, job.processed, job.created, job.attempts) == ("succeeded", 5, 5, 1)
    assert Task.objects.count() == 5


def test_imports_are_swept_by_the_one_sweep():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "config.tasks.sweep_jobs" in tasks
    assert not any(task.startswith("imports.") for task in tasks)


# --- One class per kind --------------------------------------------------------------------------


def test_every_import_kind_is_one_registered_class():
    assert set(KINDS) == set(ImportKind.values)
    for value, kind in KINDS.items():
        assert issubclass(kind, CsvImport)
        assert kind.kind == value
        assert set(kind.required) <= set(kind.columns)


def test_the_runner_knows_only_the_registered_class(upload, monkeypatch, run_job, org):
    """A kind that is not about tasks at all: the runner validates, loads and summarizes only through it."""
    loaded = []

    class WordCount(CsvImport):
        kind = "tasks"
        columns = ("word",)
        required = ("word",)
        batch_size = 2

        def validator(self, match):
            at = match.positions["word"]
            return lambda cells: cells[at] if cells[at].isalpha() else [_problem(cells[at])]

        def load(self, rows):
            loaded.append([word for _, word in rows])
            return LoadResult(created=len(rows), summary={"letters": sum(len(word) for _, word in rows)})

        def summary_notices(self):
            letters = self.job.summary["letters"]
            return [Notice(recipients=[org.member.pk], title=f"{letters} letters", url="/words", data={"n": letters})]

    def _problem(value):
        from imports.kinds.base import Problem

        return Problem("word", "not_a_word", "Letters only.", value)

    monkeypatch.setitem(KINDS, "tasks", WordCount)
    job = ImportJob.objects.get(pk=upload(csv_bytes("word", "alpha", "b2", "gamma", "delta"), run=False).json()["id"])
    assert isinstance(import_kind_for(job), WordCount)
    job = run_job(job)
    assert (job.state, job.created, job.failed) == ("succeeded", 3, 1)
    assert loaded == [["alpha"], ["gamma", "delta"]]
    assert list(job.row_errors.values_list("line", "code", "value")) == [(3, "not_a_word", "b2")]
    notice = Notification.objects.get(kind="import_summary")
    assert (notice.recipient_id, notice.title, notice.data["n"]) == (org.member.pk, "15 letters", 15)
    assert not Task.objects.exists()
