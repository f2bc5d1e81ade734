"""One pattern for background work: a job row with a state, claimed once, advanced by a thin task.

Every kind of background job (an import, a notification delivery, a report export, an invitation
email) is a model inheriting ``Job``. The request that asks for the work creates the row and calls
``enqueue_on_commit(task, row.pk)``; the Celery task takes the id and calls a service that:

1. **claims** the row with ``job_claim``: one conditional UPDATE, so of two runs of the task only one
   gets it, and a finished row is never claimed again;
2. does the work, calling ``job_heartbeat`` now and then if it runs long;
3. **finishes** with ``job_finish`` (an end state) or ``job_retry_later`` (back to pending, after
   ``config.backoff.retry_delay``), both conditional on still holding the claim.

``jobs_sweep`` (beat, ``config.tasks.sweep_jobs``) rescues every kind at once: a running row whose
heartbeat stopped (its worker died) goes back to pending, or ends failed past its attempts; a pending
row that no worker picked up (the broker lost the message, or was down when it was sent) is enqueued
again. Enqueuing twice is harmless, since the task claims first.

A concrete job declares its own ``state`` field (its own choices: the API shows them) and these:

- ``job_task``: dotted path of the Celery task taking the row's id.
- ``job_running`` / ``job_failed``: its state values for "a worker holds it" and "given up"
  (``job_pending`` defaults to ``"pending"``).
- ``job_stale_after``: seconds without a heartbeat after which a running row is taken as lost.
- ``job_max_attempts``: attempts before a lost or failing job is given up.
- ``job_pending_grace``: seconds a pending row may wait past its due time before the sweep sends it
  again.
- ``job_retry_base`` / ``job_retry_max``: the backoff of ``job_failed_attempt`` (first wait, cap).
  These options may name a setting instead (a string), read at each use.
- ``job_sweep_enqueue``: whether the sweep re-enqueues pending rows itself. A job whose start is
  ordered elsewhere (imports run one at a time per organization) sets it to False and starts its
  waiting rows in ``job_sweep_start``.
- ``job_waiting_since``: the field a pending row has waited since (its due time, ``next_attempt_at``, or a
  queue's order), for the ``workspace_job_oldest_pending_seconds`` gauge (config/scrape.py); empty: not
  measured. Name one only where an index serves ``MIN(field) WHERE state = pending``: it is read at every scrape.

Two hooks let a job say more than the generic sweep does, both classmethods with a generic default:
``job_give_up`` (end lost runs that used up their attempts: imports tell the importer) and
``job_sweep_start`` (what to enqueue when ``job_sweep_enqueue`` is False).

A run that hits an unexpected error either retries later itself (``job_retry_later`` after
``retry_delay``) or, when the job resumes from a checkpoint, calls ``job_release``: the row is then
a lost run, and the sweep's attempts policy applies to it as to a run whose worker died.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string
from django_guid.context import guid

from config.backoff import retry_delay
from config.request_context import current_request_id
from config.text import truncate

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_CHARS = 2000


class Job(models.Model):
    """Abstract base of every background job row."""

    state = models.CharField(max_length=16, default="pending")
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the current run started.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the current run.")
    next_attempt_at = models.DateTimeField(default=timezone.now, help_text="When a pending job is due.")
    last_error = models.TextField(blank=True)
    # The request id of the work that made the row: each run logs under it (``job_claim``), whenever and wherever it
    # runs (a retry the sweep sends, the next import started by the end of another), so its lines join the request's.
    request_id = models.CharField(max_length=64, blank=True, default=current_request_id, editable=False)

    job_task: str = ""
    job_pending: str = "pending"
    job_running: str = "running"
    job_failed: str = "failed"
    job_stale_after: float | str = 300
    job_max_attempts: int | str = 5
    job_pending_grace: float | str = 300
    job_retry_base: float | str = 30
    job_retry_max: float | str = 1800
    job_sweep_enqueue: bool = True
    job_waiting_since: str = ""

    class Meta:
        abstract = True

    @classmethod
    def job_enqueue(cls, pk) -> None:
        """Hand the job to a worker once the current transaction commits (see ``enqueue_on_commit``)."""
        enqueue_on_commit(import_string(cls.job_task), str(pk))

    @classmethod
    def job_give_up(cls, lost: QuerySet, *, max_attempts: int, now) -> int:
        """End lost runs that used up their attempts (``lost`` re-checks the state they were seen in).

        Override to say more than ``last_error`` (a notification, a message for people); returns how many ended.
        """
        return lost.update(
            state=cls.job_failed,
            last_error=_lost_error(f"Gave up: the worker was lost during attempt {max_attempts}."),
            **_touch(cls, now),
        )

    @classmethod
    def job_sweep_start(cls, *, limit: int, now) -> int:
        """With ``job_sweep_enqueue = False``: enqueue the pending rows that should run now; returns how many."""
        return 0


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Run ``task.delay(*args, **kwargs)`` once the current transaction commits.

    A broker that is down must not fail a request whose change already committed, nor lose the
    work: the error is logged and the job's row stays pending, so ``jobs_sweep`` enqueues it once the
    broker is back. Tasks with no row behind them (password reset emails) are lost in that case,
    and the person asks again; the request still answers as if sent.
    """

    def send():
        try:
            task.delay(*args, **kwargs)
        except Exception:
            logger.exception("Could not enqueue %s%r; the sweep will retry it", task.name, args)

    transaction.on_commit(send)


def truncate_error(exc_or_text) -> str:
    """The text stored in ``last_error``: the exception's type and message, bounded."""
    if isinstance(exc_or_text, BaseException):
        text = f"{type(exc_or_text).__name__}: {exc_or_text}" if str(exc_or_text) else type(exc_or_text).__name__
    else:
        text = str(exc_or_text)
    return truncate(text, LAST_ERROR_MAX_CHARS)


def job_option(model: type[Job], name: str) -> float:
    """A ``job_*`` option; a string names the setting that holds it (read each time, for override_settings)."""
    value = getattr(model, name)
    return getattr(settings, value) if isinstance(value, str) else value


def _stale_before(model: type[Job], now):
    return now - timedelta(seconds=job_option(model, "job_stale_after"))


def _lost(model: type[Job], now) -> Q:
    """Running rows whose run is gone: heartbeat older than ``job_stale_after``, or none (``job_release``)."""
    return Q(state=model.job_running) & (Q(heartbeat_at__lt=_stale_before(model, now)) | Q(heartbeat_at__isnull=True))


def _lost_error(message: str):
    """A lost run's ``last_error``: what a released run recorded, else ``message``."""
    return Case(
        When(heartbeat_at__isnull=True, then=F("last_error")), default=Value(message), output_field=models.TextField()
    )


def claimable(model: type[Job], now) -> Q:
    """Rows a run may take: pending, or a lost run (running with a stale heartbeat, or released)."""
    return Q(state=model.job_pending) | _lost(model, now)


def job_alive(job: Job, *, now=None) -> bool:
    """Whether a run holds the job and was seen alive within ``job_stale_after``."""
    now = now or timezone.now()
    return (
        job.state == job.job_running
        and job.heartbeat_at is not None
        and job.heartbeat_at >= _stale_before(type(job), now)
    )


def job_claim(model: type[Job], pk, *, queryset=None, extra: dict | None = None) -> Job | None:
    """Take the job for this run, or None when it is not to be run (finished, held, missing).

    One conditional UPDATE committed before the work starts: of two runs only one claims it.
    ``queryset`` narrows what may be claimed (and chooses what is loaded afterwards); ``extra``
    sets more fields in the same UPDATE.
    """
    now = timezone.now()
    base = model._default_manager.all() if queryset is None else queryset
    claimed = (
        model._default_manager.filter(pk=pk)
        .filter(claimable(model, now))
        .update(
            state=model.job_running,
            attempts=F("attempts") + 1,
            claimed_at=now,
            heartbeat_at=now,
            **(extra or {}),
            **_touch(model, now),
        )
    )
    job = base.filter(pk=pk).first() if claimed else None
    if job is not None and job.request_id:
        # The run's log lines carry the id of the request that made the job; the task's end restores the id it
        # found (config/celery.py).
        guid.set(job.request_id)
    return job


def _touch(model: type[Job], now) -> dict:
    return {"updated_at": now} if any(f.name == "updated_at" for f in model._meta.concrete_fields) else {}


def _held(job: Job):
    return type(job)._default_manager.filter(pk=job.pk, state=job.job_running, claimed_at=job.claimed_at)


def job_lock(job: Job) -> Job | None:
    """The job's row, locked until the current transaction ends, if this run still holds it; else None."""
    return _held(job).select_for_update().first()


def job_heartbeat(job: Job, **fields) -> bool:
    """Say the run is alive, saving ``fields`` with it (a checkpoint); False when the run no longer holds the job."""
    now = timezone.now()
    done = bool(_held(job).update(heartbeat_at=now, **fields, **_touch(type(job), now)))
    if done:
        job.heartbeat_at = now
        for name, value in fields.items():
            setattr(job, name, value)
    return done


def job_finish(job: Job, state: str, **fields) -> bool:
    """End this run in ``state`` with ``fields``, unless another run has taken the job over since."""
    now = timezone.now()
    fields = {"state": state, **fields, **_touch(type(job), now)}
    done = bool(_held(job).update(**fields))
    if done:
        for name, value in fields.items():
            setattr(job, name, value)
    return done


def job_retry_later(job: Job, *, error, delay: float) -> bool:
    """Put the job back to pending, due in ``delay`` seconds, recording why; False if no longer held."""
    return job_finish(
        job,
        job.job_pending,
        last_error=truncate_error(error),
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        heartbeat_at=None,
    )


def job_failed_attempt(job: Job, *, error: str, retry_after: float | None = None) -> float | None:
    """After an attempt that failed but may succeed later: back to pending after the one backoff policy
    (``job_retry_base`` doubled per attempt, at most ``job_retry_max``, at least ``retry_after``),
    returning the delay; or, once ``job_max_attempts`` are spent, failed with the reason (None).
    """
    model = type(job)
    if job.attempts >= job_option(model, "job_max_attempts"):
        job_finish(job, job.job_failed, last_error=truncate_error(f"Gave up after {job.attempts} attempts: {error}"))
        return None
    delay = retry_delay(
        attempts=job.attempts,
        base=job_option(model, "job_retry_base"),
        maximum=job_option(model, "job_retry_max"),
        retry_after=retry_after,
    )
    job_retry_later(job, error=error, delay=delay)
    return delay


def job_release(job: Job, *, error) -> bool:
    """End this run after an unexpected error, recording it, without deciding the job's fate.

    For jobs that resume from a checkpoint: the row stays running with no heartbeat, which makes it a
    lost run at once. The next claim (or ``job_sweep``) takes it up again, and past ``job_max_attempts``
    the sweep gives it up: the same attempts policy as a run whose worker died.
    """
    return job_finish(job, job.job_running, last_error=truncate_error(error), heartbeat_at=None)


def job_send(model: type[Job], pks) -> int:
    """Enqueue these jobs now (not on commit); stops at the first broker error. Returns how many were sent."""
    task = import_string(model.job_task)
    sent = 0
    for pk in pks:
        try:
            task.delay(str(pk))
        except Exception:
            logger.exception("Could not enqueue %s %s; the next sweep will retry it", model.__name__, pk)
            break
        sent += 1
    return sent


def job_models() -> list[type[Job]]:
    """Every installed concrete job model."""
    return [model for model in apps.get_models() if issubclass(model, Job) and model.job_task]


@dataclass
class SweepResult:
    given_up: int = 0
    requeued: int = 0
    enqueued: int = 0


def job_sweep(model: type[Job], *, limit: int = 1000, now=None) -> SweepResult:
    """Rescue one kind of job: lost runs back to pending (or failed past their attempts), stuck pending re-enqueued.

    A lost run (running, heartbeat older than ``job_stale_after`` or released) counts as an attempt:
    past ``job_max_attempts`` the job ends failed (``job_give_up``), otherwise it is pending again and
    enqueued now. A pending row is re-enqueued ``job_pending_grace`` seconds after it was due, and its
    due time moves to now, so the next sweep waits as long again before sending it a second time.
    Every update is conditional on the state the row was seen in, so a run that finished meanwhile is
    left alone. A job with ``job_sweep_enqueue = False`` enqueues its pending rows in ``job_sweep_start``.
    """
    now = now or timezone.now()
    result = SweepResult()
    manager = model._default_manager
    max_attempts = job_option(model, "job_max_attempts")
    lost = manager.filter(_lost(model, now))
    lost_ids = list(lost.values_list("pk", flat=True)[:limit])
    lost = lost.filter(pk__in=lost_ids)
    result.given_up = model.job_give_up(lost.filter(attempts__gte=max_attempts), max_attempts=max_attempts, now=now)
    requeued = list(lost.values_list("pk", flat=True))
    result.requeued = lost.filter(pk__in=requeued).update(
        state=model.job_pending,
        last_error=_lost_error("The worker was lost during the attempt."),
        next_attempt_at=now,
        heartbeat_at=None,
        **_touch(model, now),
    )
    if result.given_up or result.requeued:
        logger.warning(
            "%s: %s lost runs given up, %s taken back to pending", model.__name__, result.given_up, result.requeued
        )
    if not model.job_sweep_enqueue:
        result.enqueued = model.job_sweep_start(limit=limit, now=now)
        return result
    due_before = now - timedelta(seconds=job_option(model, "job_pending_grace"))
    due = list(
        manager.filter(state=model.job_pending, next_attempt_at__lte=due_before)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: max(0, limit - len(requeued))]
    )
    manager.filter(pk__in=due, state=model.job_pending).update(next_attempt_at=now)
    result.enqueued = job_send(model, [*requeued, *due])
    return result


def jobs_sweep(*, limit: int = 1000) -> dict[str, SweepResult]:
    """The beat sweep over every kind of job."""
    return {model._meta.label: job_sweep(model, limit=limit) for model in job_models()}
