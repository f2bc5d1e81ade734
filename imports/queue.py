"""The per-organization queue of imports: jobs of one organization run one at a time, in the order
they were queued (``queued_at``; a retry goes to the back), whichever worker gets which message.

Whose turn it is is decided under a lock on the organization's unfinished jobs, taken in a fixed
order, so two claims in one organization queue behind each other and see each other's outcome.
Whoever ends a job starts the organization's next one once that commits; the one sweep
(``config.tasks.sweep_jobs``, through ``ImportJob.job_sweep_start``) starts the next job of every
organization where none is alive, which also resumes a job whose worker died, from its checkpoint.
"""

import logging
from functools import partial
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from config.jobs import job_alive, job_claim, job_send
from imports import events
from imports.models import ACTIVE_STATES, ImportJob, ImportState
from organizations.changes import Action, organization_change

logger = logging.getLogger(__name__)


def _next_in_line(jobs: list[ImportJob]) -> ImportJob | None:
    """Of one organization's unfinished jobs, the one to run now: none while one is alive, else the first queued."""
    now = timezone.now()
    if any(job_alive(job, now=now) for job in jobs):
        return None
    return min(jobs, key=lambda job: (job.queued_at, str(job.pk)), default=None)


@transaction.atomic
def import_job_claim(job_id) -> ImportJob | None:
    """Claim the job for this run if it is its turn (``config.jobs.job_claim``); None when it is not to run now.

    A job whose runs died ``IMPORT_MAX_ATTEMPTS`` times without progress is failed instead, so it
    never blocks its organization.
    """
    organization_id = ImportJob.objects.filter(pk=job_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        return None
    active = list(
        ImportJob.objects.select_for_update()
        .filter(organization_id=organization_id, state__in=ACTIVE_STATES)
        .order_by("pk")
    )
    job = next((candidate for candidate in active if str(candidate.pk) == str(job_id)), None)
    if job is None:
        return None  # finished or cancelled meanwhile
    if _next_in_line(active) is not job:
        return None  # alive elsewhere, or waiting its turn: whoever ends first starts the next
    if job.state == ImportState.RUNNING and job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
        _give_up(job)
        return None
    return job_claim(
        ImportJob,
        job.pk,
        queryset=ImportJob.objects.select_related("organization", "created_by"),
        extra={"started_at": job.started_at or timezone.now()},
    )


def import_queue_start_next(organization_id) -> None:
    """Enqueue the organization's next job, if none is alive. Runs after the commit that ended a job."""
    job = _next_in_line(list(ImportJob.objects.filter(organization_id=organization_id, state__in=ACTIVE_STATES)))
    if job is not None:
        ImportJob.job_enqueue(job.pk)


def import_job_after_end(job: ImportJob, *, actor: User | None = None) -> None:
    """In the transaction that ended ``job``: tell who it concerns; start the organization's next job on commit."""
    events.import_finished(job=job, actor=actor)
    organization_change(
        organization_id=job.organization_id,
        action=Action.IMPORT_FINISHED,
        actor=actor,
        target=job,
        after={"state": job.state, "kind": job.kind, "created": job.created, "failed": job.failed, "total": job.total},
    )
    transaction.on_commit(partial(import_queue_start_next, job.organization_id))
    logger.info("Import %s %s: %s created, %s failed of %s", job.pk, job.state, job.created, job.failed, job.total)


def import_job_close(job: ImportJob, state: str, *, message: str, actor: User | None = None) -> None:
    """End a locked, unfinished job that this caller does not run (cancelled, or given up), in its transaction.

    A run that holds it sees the new state at its next batch and stops without writing.
    """
    job.state = state
    job.finished_at = timezone.now()
    job.heartbeat_at = None
    job.message = message
    job.save(update_fields=["state", "finished_at", "heartbeat_at", "message", "updated_at"])
    import_job_after_end(job, actor=actor)


def _give_up(job: ImportJob) -> None:
    import_job_close(
        job,
        ImportState.FAILED,
        message=(
            f"The import stopped {job.attempts} times without progress and was given up. Rows loaded before "
            f"line {job.last_line + 1} stay; staff can retry it from there."
        ),
    )


def import_job_give_up_lost(lost: QuerySet[ImportJob]) -> int:
    """The sweep's ``job_give_up`` for imports: each job ends failed, and its importer hears it."""
    ended = 0
    for pk in list(lost.values_list("pk", flat=True)):
        with transaction.atomic():
            job = lost.select_for_update().filter(pk=pk).first()  # still lost: not resumed meanwhile
            if job is not None:
                _give_up(job)
                ended += 1
    return ended


def import_job_start_waiting(*, limit: int) -> int:
    """The sweep's ``job_sweep_start`` for imports: start each organization's next job where none is alive.

    That starts pending jobs whose message was lost (or never sent: the broker was down) and resumes
    jobs the sweep took back from a dead worker. Returns how many were enqueued.
    """
    active = (
        ImportJob.objects.filter(state__in=ACTIVE_STATES)
        .only("pk", "organization_id", "state", "heartbeat_at", "queued_at")
        .order_by("organization_id", "queued_at", "pk")
    )
    heads = []
    for _, jobs in groupby(active.iterator(), lambda job: job.organization_id):
        job = _next_in_line(list(jobs))
        if job is not None:
            heads.append(job.pk)
    return job_send(ImportJob, heads[:limit])
