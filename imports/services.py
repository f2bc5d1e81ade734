"""Import jobs: upload, run, cancel and retry. The work itself is in ``imports.runner``, the order
of an organization's jobs in ``imports.queue``, each kind of import in ``imports.kinds``.

A job is a ``config.jobs.Job`` row: the upload writes it pending and enqueues it on commit
(``enqueue_on_commit``: a broker that is down does not fail the upload, and the sweep starts the
job when the broker is back); the Celery task ``imports.tasks.run_import`` calls
``import_job_run``, which claims it in its organization's turn and runs it; the one beat sweep
(``config.tasks.sweep_jobs``) resumes jobs whose worker died, from their checkpoint.
"""

import logging
import os
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import Conflict, Forbidden, PayloadTooLarge
from config.jobs import job_alive
from config.retention import DEFAULT_BATCH_SIZE, delete_files_in_batches
from config.text import truncate
from imports import queue, runner
from imports.csv_source import DELIMITER_NAMES, CsvRefused, inspect_csv
from imports.models import ACTIVE_STATES, FINISHED_STATES, ImportJob, ImportKind, ImportMode, ImportPhase, ImportState
from organizations.changes import Action, organization_change
from organizations.models import Organization, Role
from organizations.services import organization_role_require

logger = logging.getLogger(__name__)

IMPORTERS_ONLY = "Only admins and owners of this organization may import."


def import_role_require(*, user: User | None, organization: Organization) -> None:
    """Only admins and owners import (``Forbidden``); an upload names its uploader, only an operator's has none."""
    if user is None:
        raise Forbidden(IMPORTERS_ONLY)
    organization_role_require(organization_id=organization.pk, actor=user, minimum=Role.ADMIN, message=IMPORTERS_ONLY)


def import_job_create(
    *,
    organization: Organization,
    uploaded_file: File,
    kind: str,
    mode: str = ImportMode.SKIP_INVALID,
    dry_run: bool = False,
    created_by: User | None,
    by_operator: bool = False,
    start: bool = True,
) -> ImportJob:
    """Check the upload, store it through the default storage, record a pending job, and start it
    once the transaction commits.

    Refused before anything is stored: more than ``IMPORT_MAX_BYTES`` (413 ``payload_too_large``);
    not UTF-8 text CSV, empty, or more than ``IMPORT_MAX_ROWS`` data rows (400, field ``file``).
    ``by_operator`` (``manage.py import_csv``) skips the role check; ``created_by`` is then optional.
    ``start=False`` leaves the job for the caller to run (the command runs it in the foreground).

    Not one transaction: a storage is not transactional, so the file is stored first and the row
    written after it; if the row cannot be written, the file is removed.
    """
    kind, mode = ImportKind(kind), ImportMode(mode)
    if not by_operator:
        import_role_require(user=created_by, organization=organization)
    if uploaded_file.size > settings.IMPORT_MAX_BYTES:
        raise PayloadTooLarge(f"The file is larger than the limit of {settings.IMPORT_MAX_BYTES:,} bytes.")
    try:
        facts = inspect_csv(uploaded_file, max_rows=settings.IMPORT_MAX_ROWS)
    except CsvRefused as exc:
        raise ValidationError({"file": ValidationError(exc.message, code=exc.code)}) from None
    uploaded_file.seek(0)
    job = ImportJob(
        organization=organization,
        created_by=created_by,
        by_operator=by_operator,
        kind=kind,
        mode=mode,
        dry_run=dry_run,
        original_name=truncate(os.path.basename(uploaded_file.name or ""), 255),
        size_bytes=uploaded_file.size,
        delimiter=facts.delimiter,
        total=facts.rows,
        phase=ImportPhase.VALIDATING if (dry_run or mode == ImportMode.ALL_OR_NOTHING) else ImportPhase.LOADING,
    )
    job.file.save(f"{job.pk}.csv", uploaded_file, save=False)
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            organization_change(
                organization_id=organization.pk,
                action=Action.IMPORT_STARTED,
                actor=created_by,
                target=job,
                after={
                    "kind": job.kind,
                    "mode": job.mode,
                    "dry_run": job.dry_run,
                    "file": job.original_name,
                    "rows": job.total,
                },
            )
            if start:
                ImportJob.job_enqueue(job.pk)
    except BaseException:
        job.file.delete(save=False)
        raise
    logger.info(
        "Import %s queued: %s, %s rows, %s-separated", job.pk, kind, facts.rows, DELIMITER_NAMES[facts.delimiter]
    )
    return job


def import_job_run(*, job_id, on_progress: Callable[[ImportJob], None] | None = None) -> ImportJob | None:
    """Run (or resume) a job if it is its turn; None when there was nothing to do. Safe to call twice.

    ``on_progress`` is called with the job after each committed batch (the command's progress bar).
    An importer who is no longer an admin when the job runs fails it.
    """
    job = queue.import_job_claim(job_id)
    if job is None:
        return None
    refusal = ""
    if not job.by_operator:
        try:
            import_role_require(user=job.created_by, organization=job.organization)
        except Forbidden:
            refusal = "The person who uploaded this file is no longer an admin here."
    runner.import_job_execute(job, refusal=refusal, on_progress=on_progress)
    return ImportJob.objects.get(pk=job.pk)


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor: User | None) -> ImportJob:
    """Stop a pending or running job. A running one stops between batches: rows of batches already
    committed stay (``created`` says how many); the batch being loaded, if any, commits first."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.state not in ACTIVE_STATES:
        raise Conflict(f"This import has already ended ({job.state}).")
    who = actor.email if actor is not None else "an operator"
    # Told as ``import.finished`` (state ``cancelled``, the actor who cancelled) by import_job_close.
    queue.import_job_close(job, ImportState.CANCELLED, message=f"Cancelled by {who}.", actor=actor)
    return job


@transaction.atomic
def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Queue a failed or cancelled job again (staff), or restart one whose worker is gone.

    It resumes from its checkpoint: rows already loaded are not loaded again. A job still
    validating starts its validation over. It goes to the back of its organization's queue.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    dead = job.state == ImportState.RUNNING and not job_alive(job)
    if job.state not in (ImportState.FAILED, ImportState.CANCELLED) and not dead:
        raise Conflict(f"Only failed, cancelled or stalled imports can be retried; this one is {job.state}.")
    if not job.file:
        raise Conflict("This import's file was deleted (retention: RETENTION_IMPORT_FILES_DAYS); upload it again.")
    if job.phase == ImportPhase.VALIDATING or job.processed == 0:
        job.row_errors.all().delete()
        job.processed = job.last_line = job.failed = job.errors_recorded = 0
    now = timezone.now()
    job.state = ImportState.PENDING
    job.attempts = 0
    job.claimed_at = None
    job.heartbeat_at = None
    job.finished_at = None
    job.message = ""
    job.queued_at = job.next_attempt_at = now
    job.save()
    transaction.on_commit(lambda: queue.import_queue_start_next(job.organization_id))
    return job


def import_files_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete from storage the uploaded files of imports that ended more
    than ``RETENTION_IMPORT_FILES_DAYS`` ago, in batches. The jobs stay, with their counts, summary and row
    errors; their ``file`` is cleared, which is how a purged file shows (a retry is refused). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_IMPORT_FILES_DAYS)
    ended = ImportJob.objects.filter(state__in=FINISHED_STATES, finished_at__lt=cutoff)
    return delete_files_in_batches(ended, batch_size=batch_size, dry_run=dry_run)
