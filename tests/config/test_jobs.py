"""The shared job functions of ``config.jobs``, through a real job model (``reports.ReportExport``)."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from config.jobs import (
    LAST_ERROR_MAX_CHARS,
    SweepResult,
    job_claim,
    job_failed_attempt,
    job_finish,
    job_heartbeat,
    job_models,
    job_retry_later,
    job_sweep,
    truncate_error,
)
from notifications.models import NotificationDelivery
from organizations.models import InvitationEmail
from reports import tasks
from reports.models import ExportState, ReportExport
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def export():
    return ReportExport.objects.create(
        organization=OrganizationFactory(),
        format="csv",
        date_from=datetime.date(2030, 1, 1),
        date_to=datetime.date(2030, 1, 7),
    )


@pytest.fixture
def enqueued(monkeypatch):
    """The ids the sweep hands to the export task (instead of building them)."""
    sent = []
    monkeypatch.setattr(tasks.build_report_export, "delay", sent.append)
    return sent


def stale(settings):
    return timezone.now() - timedelta(seconds=settings.REPORT_EXPORT_STALE_SECONDS + 1)


def test_every_kind_of_job_is_swept():
    assert {ReportExport, NotificationDelivery, InvitationEmail} <= set(job_models())


class TestClaim:
    def test_of_two_runs_one_claims(self, export):
        first = job_claim(ReportExport, export.pk)
        assert (first.state, first.attempts) == (ExportState.RUNNING, 1)
        assert first.claimed_at == first.heartbeat_at is not None
        assert job_claim(ReportExport, export.pk) is None
        export.refresh_from_db()
        assert export.attempts == 1

    def test_a_finished_job_is_never_claimed_again(self, export):
        job_finish(job_claim(ReportExport, export.pk), ExportState.SUCCEEDED)
        assert job_claim(ReportExport, export.pk) is None
        assert ReportExport.objects.get(pk=export.pk).state == ExportState.SUCCEEDED

    def test_a_run_whose_heartbeat_stopped_is_taken_over(self, export, settings):
        long_ago = stale(settings)
        ReportExport.objects.filter(pk=export.pk).update(
            state=ExportState.RUNNING, claimed_at=long_ago, heartbeat_at=long_ago, attempts=1
        )
        taken = job_claim(ReportExport, export.pk)
        assert (taken.attempts, taken.claimed_at > long_ago) == (2, True)

    def test_extra_fields_are_set_in_the_same_update_and_the_queryset_chooses_what_is_loaded(self, export):
        ReportExport.objects.filter(pk=export.pk).update(last_error="old")
        queryset = ReportExport.objects.select_related("organization")
        claimed = job_claim(ReportExport, export.pk, queryset=queryset, extra={"last_error": ""})
        assert claimed.last_error == ""
        assert "organization" in claimed._state.fields_cache

    def test_an_unknown_id_claims_nothing(self):
        assert job_claim(ReportExport, "00000000-0000-0000-0000-000000000000") is None


class TestWhileHeld:
    def test_heartbeat_and_finish_work_while_the_run_holds_the_job(self, export):
        run = job_claim(ReportExport, export.pk)
        before = run.heartbeat_at
        assert job_heartbeat(run) is True
        assert ReportExport.objects.get(pk=export.pk).heartbeat_at == run.heartbeat_at >= before
        assert job_finish(run, ExportState.SUCCEEDED, finished_at=timezone.now()) is True
        assert run.state == ExportState.SUCCEEDED
        assert ReportExport.objects.get(pk=export.pk).state == ExportState.SUCCEEDED

    def test_a_run_taken_over_can_neither_heartbeat_nor_finish(self, export, settings):
        first = job_claim(ReportExport, export.pk)
        long_ago = stale(settings)
        ReportExport.objects.filter(pk=export.pk).update(heartbeat_at=long_ago)
        second = job_claim(ReportExport, export.pk)
        assert second is not None
        assert job_heartbeat(first) is False
        assert job_finish(first, ExportState.FAILED, last_error="late") is False
        assert first.state == ExportState.RUNNING  # nothing applied to the stale copy either
        assert job_retry_later(first, error="late", delay=10) is False
        row = ReportExport.objects.get(pk=export.pk)
        assert (row.state, row.last_error, row.claimed_at) == (ExportState.RUNNING, "", second.claimed_at)
        assert job_finish(second, ExportState.SUCCEEDED) is True

    def test_retry_later_puts_the_job_back_to_pending_due_later_with_why(self, export):
        run = job_claim(ReportExport, export.pk)
        before = timezone.now()
        assert job_retry_later(run, error=RuntimeError("disk full"), delay=60) is True
        row = ReportExport.objects.get(pk=export.pk)
        assert (row.state, row.last_error, row.heartbeat_at) == (ExportState.PENDING, "RuntimeError: disk full", None)
        assert before + timedelta(seconds=60) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=60)
        # Due later: claimable again by the task (the sweep waits for its due time).
        assert job_claim(ReportExport, export.pk).attempts == 2

    def test_a_failed_attempt_waits_by_the_backoff_then_gives_up(self, export):
        run = job_claim(ReportExport, export.pk)
        delay = job_failed_attempt(run, error="timed out", retry_after=100)
        assert 100 <= delay <= ReportExport.job_retry_max  # at least the receiver's Retry-After
        row = ReportExport.objects.get(pk=export.pk)
        assert (row.state, row.last_error) == (ExportState.PENDING, "timed out")
        for attempt in (2, 3):
            run = job_claim(ReportExport, export.pk)
            assert run.attempts == attempt
            delay = job_failed_attempt(run, error="timed out")
        assert delay is None  # the third of job_max_attempts = 3
        row = ReportExport.objects.get(pk=export.pk)
        assert (row.state, row.last_error) == (ExportState.FAILED, "Gave up after 3 attempts: timed out")


def test_truncate_error_bounds_the_text_and_names_the_exception():
    assert truncate_error(ValueError("bad")) == "ValueError: bad"
    assert truncate_error(KeyError()) == "KeyError"
    long = truncate_error("x" * (LAST_ERROR_MAX_CHARS * 2))
    assert len(long) == LAST_ERROR_MAX_CHARS
    assert long.endswith("…")


class TestSweep:
    def test_a_lost_run_goes_back_to_pending_and_is_enqueued(self, export, enqueued, settings):
        long_ago = stale(settings)
        ReportExport.objects.filter(pk=export.pk).update(
            state=ExportState.RUNNING, claimed_at=long_ago, heartbeat_at=long_ago, attempts=1
        )
        assert job_sweep(ReportExport) == SweepResult(requeued=1, enqueued=1)
        assert enqueued == [str(export.pk)]
        row = ReportExport.objects.get(pk=export.pk)
        assert (row.state, row.heartbeat_at, row.attempts) == (ExportState.PENDING, None, 1)
        assert "worker was lost" in row.last_error

    def test_a_live_run_is_left_alone(self, export, enqueued):
        job_claim(ReportExport, export.pk)
        assert job_sweep(ReportExport) == SweepResult()
        assert ReportExport.objects.get(pk=export.pk).state == ExportState.RUNNING
        assert enqueued == []

    def test_a_lost_run_past_its_attempts_is_given_up(self, export, enqueued, settings):
        long_ago = stale(settings)
        ReportExport.objects.filter(pk=export.pk).update(
            state=ExportState.RUNNING,
            claimed_at=long_ago,
            heartbeat_at=long_ago,
            attempts=ReportExport.job_max_attempts,
        )
        assert job_sweep(ReportExport) == SweepResult(given_up=1)
        row = ReportExport.objects.get(pk=export.pk)
        assert row.state == ExportState.FAILED
        assert row.last_error == f"Gave up: the worker was lost during attempt {ReportExport.job_max_attempts}."
        assert enqueued == []

    def test_pending_is_enqueued_once_its_grace_has_passed_then_waits_a_grace_again(self, export, enqueued):
        grace = timedelta(seconds=ReportExport.job_pending_grace)
        assert job_sweep(ReportExport) == SweepResult()  # just created: its own message is on its way
        later = timezone.now() + grace + timedelta(seconds=1)
        assert job_sweep(ReportExport, now=later) == SweepResult(enqueued=1)
        assert enqueued == [str(export.pk)]
        assert ReportExport.objects.get(pk=export.pk).next_attempt_at == later
        assert job_sweep(ReportExport, now=later + timedelta(seconds=1)) == SweepResult()
        assert job_sweep(ReportExport, now=later + grace) == SweepResult(enqueued=1)
        assert enqueued == [str(export.pk)] * 2

    def test_a_broker_still_down_leaves_the_rows_for_the_next_sweep(self, export, monkeypatch, caplog):
        def refuse(*args):
            raise ConnectionError("redis is down")

        monkeypatch.setattr(tasks.build_report_export, "delay", refuse)
        later = timezone.now() + timedelta(seconds=ReportExport.job_pending_grace + 1)
        assert job_sweep(ReportExport, now=later) == SweepResult()
        assert ReportExport.objects.get(pk=export.pk).state == ExportState.PENDING
        assert "the next sweep will retry it" in caplog.text
