"""Import jobs: upload, run, cancel, retry, and the sweep that resumes jobs whose worker died.

How a job runs (``import_job_run``, called by the Celery task ``imports.tasks.run_import``):

1. **Claim.** In one transaction that locks the organization's unfinished jobs, the job becomes
   ``running`` with a new ``run_token`` and a heartbeat, unless another run holds it (fresh
   heartbeat) or another job of its organization goes first (jobs of one organization run one at
   a time, in the order they were queued). Running a task twice is therefore harmless.
2. **Header.** Columns are matched ignoring case and surrounding spaces; a missing required
   column fails the job before any row; unknown ones become warnings.
3. **Batches.** Rows stream from the stored file and are validated with plain code
   (``imports.rows``). Each batch commits in ONE transaction with the job's checkpoint
   (``processed``, ``last_line``, counts, heartbeat): a worker killed anywhere resumes from the
   last committed batch, losing and duplicating nothing. Every write of a run is conditional on
   its ``run_token`` and on the job still running, so a cancelled job stops at the next batch
   and a run whose job was taken over stops without writing.
   Dry runs and all-or-nothing jobs first validate the whole file (phase ``validating``); an
   all-or-nothing job loads (phase ``loading``) only if no row is invalid.
4. **End.** The final state, the importer's ``import_finished`` notification and one
   ``import_summary`` per assignee (``imports.events``) are written in one transaction; then the organization's next
   job is started.

A run that raises unexpectedly leaves the job ``running`` without a heartbeat; the beat sweep
(``import_jobs_sweep``) resumes such jobs, and any whose heartbeat stopped for
``IMPORT_HEARTBEAT_TIMEOUT`` minutes, from their checkpoint. A job that dies
``IMPORT_MAX_ATTEMPTS`` times without progress is failed, so it never blocks its organization.
"""

import logging
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from itertools import groupby, islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from config.errors import Conflict, Forbidden, PayloadTooLarge
from imports import events
from imports.csv_source import DELIMITER_NAMES, CsvRefused, CsvRows, inspect_csv, match_header
from imports.kinds import import_for
from imports.models import (
    ACTIVE_STATES,
    ImportJob,
    ImportKind,
    ImportMode,
    ImportPhase,
    ImportRowError,
    ImportState,
)
from organizations.models import Organization, Role
from organizations.services import organization_role_require

logger = logging.getLogger(__name__)

MAX_WARNINGS = 100
IMPORTERS_ONLY = "Only admins and owners of this organization may import."
VALUE_MAX_LENGTH = ImportRowError._meta.get_field("value").max_length
MESSAGE_MAX_LENGTH = ImportRowError._meta.get_field("message").max_length


class _Stopped(Exception):
    """The job was cancelled, or another run took it over: stop without writing anything more."""


# --- Upload ----------------------------------------------------------------------------------


def _require_admin(user: User | None, organization: Organization) -> None:
    if user is None:  # an upload names its uploader; only an operator's has none, and it says so
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
        _require_admin(created_by, organization)
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
        original_name=os.path.basename(uploaded_file.name or "")[:255],
        size_bytes=uploaded_file.size,
        delimiter=facts.delimiter,
        total=facts.rows,
        phase=ImportPhase.VALIDATING if (dry_run or mode == ImportMode.ALL_OR_NOTHING) else ImportPhase.LOADING,
    )
    job.file.save(f"{job.pk}.csv", uploaded_file, save=False)
    try:
        with transaction.atomic():
            job.save(force_insert=True)
            if start:
                transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        job.file.delete(save=False)
        raise
    logger.info(
        "Import %s queued: %s, %s rows, %s-separated", job.pk, kind, facts.rows, DELIMITER_NAMES[facts.delimiter]
    )
    return job


def _enqueue(job_id) -> None:
    """Runs after commit. A broker that is down must not fail the upload: the sweep starts the job later."""
    from imports.tasks import run_import

    try:
        run_import.delay(str(job_id))
    except Exception:
        logger.exception("Could not enqueue import %s; the sweep will start it", job_id)


# --- Claiming and the organization's queue ---------------------------------------------------


def _stale_before():
    return timezone.now() - timedelta(minutes=settings.IMPORT_HEARTBEAT_TIMEOUT)


def _alive(job: ImportJob, stale_before) -> bool:
    return job.state == ImportState.RUNNING and job.heartbeat_at is not None and job.heartbeat_at >= stale_before


def _queue_key(job: ImportJob):
    return (job.queued_at, str(job.pk))


def _next_in_line(jobs: list[ImportJob], stale_before) -> ImportJob | None:
    """Of one organization's unfinished jobs, the one to run now: none while one is alive, else the first queued."""
    if any(_alive(job, stale_before) for job in jobs):
        return None
    return min(jobs, key=_queue_key, default=None)


@transaction.atomic
def _claim(job_id) -> ImportJob | None:
    organization_id = ImportJob.objects.filter(pk=job_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        return None
    # Lock the organization's unfinished jobs in a fixed order, so two claims in one organization
    # queue behind each other and see each other's outcome.
    active = list(
        ImportJob.objects.select_for_update()
        .filter(organization_id=organization_id, state__in=ACTIVE_STATES)
        .order_by("pk")
    )
    job = next((candidate for candidate in active if str(candidate.pk) == str(job_id)), None)
    if job is None:
        return None  # finished or cancelled meanwhile
    stale_before = _stale_before()
    if _next_in_line(active, stale_before) is not job:
        return None  # alive elsewhere, or waiting its turn: whoever ends first starts the next
    if job.state == ImportState.RUNNING and job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
        _close(
            job,
            ImportState.FAILED,
            message=(
                f"The import stopped {job.attempts} times without progress and was given up. Rows loaded before "
                f"line {job.last_line + 1} stay; staff can retry it from there."
            ),
        )
        return None
    now = timezone.now()
    job.state = ImportState.RUNNING
    job.run_token = uuid.uuid4()
    job.heartbeat_at = now
    job.attempts += 1
    job.started_at = job.started_at or now
    job.save(update_fields=["state", "run_token", "heartbeat_at", "attempts", "started_at", "updated_at"])
    return job


def _start_next(organization_id) -> None:
    """Runs after commit: enqueue the organization's next job, if none is running."""
    jobs = list(ImportJob.objects.filter(organization_id=organization_id, state__in=ACTIVE_STATES))
    job = _next_in_line(jobs, _stale_before())
    if job is not None:
        _enqueue(job.pk)


# --- Running ---------------------------------------------------------------------------------


def import_job_run(*, job_id, on_progress: Callable[[ImportJob], None] | None = None) -> ImportJob | None:
    """Run (or resume) a job if it is its turn; None when there was nothing to do. Safe to call twice.

    ``on_progress`` is called with the job after each committed batch (the command's progress bar).
    """
    job = _claim(job_id)
    if job is None:
        return None
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job.pk)
    try:
        _Run(job, on_progress=on_progress).execute()
    except _Stopped:
        logger.info("Import %s stopped: cancelled or taken over", job.pk)
    except Exception as exc:
        logger.exception("Import %s failed unexpectedly; the sweep will resume it", job.pk)
        _release(job, exc)
    return ImportJob.objects.get(pk=job.pk)


def _release(job: ImportJob, exc: Exception) -> None:
    """After an unexpected error: mark the run dead (no heartbeat) so the sweep resumes it, or give up."""
    try:
        with transaction.atomic():
            current = (
                ImportJob.objects.select_for_update()
                .filter(pk=job.pk, run_token=job.run_token, state=ImportState.RUNNING)
                .first()
            )
            if current is None:
                return
            current.last_error = Truncator(f"{type(exc).__name__}: {exc}").chars(2000)
            current.heartbeat_at = None
            current.save(update_fields=["last_error", "heartbeat_at", "updated_at"])
            if current.attempts >= settings.IMPORT_MAX_ATTEMPTS:
                _close(
                    current,
                    ImportState.FAILED,
                    message="The import failed on an unexpected error; staff have the details and can retry it.",
                )
    except DatabaseError:
        logger.exception("Could not record the failure of import %s; its heartbeat will go stale", job.pk)


class _Run:
    """One run of one claimed job: everything it writes is conditional on holding the job."""

    def __init__(self, job: ImportJob, *, on_progress=None):
        self.job = job
        self.token = job.run_token
        self.kind = import_for(job)
        self.on_progress = on_progress

    def _locked(self) -> ImportJob:
        """The job row, locked until the end of the current transaction; _Stopped if no longer ours."""
        job = (
            ImportJob.objects.select_for_update()
            .filter(pk=self.job.pk, run_token=self.token, state=ImportState.RUNNING)
            .first()
        )
        if job is None:
            raise _Stopped()
        return job

    def execute(self) -> None:
        job = self.job
        if not job.by_operator:
            try:
                _require_admin(job.created_by, job.organization)
            except Forbidden:
                self._finish(ImportState.FAILED, "The person who uploaded this file is no longer an admin here.")
                return
        try:
            source = job.file.open("rb")
        except (FileNotFoundError, OSError, ValueError):
            self._finish(ImportState.FAILED, "The uploaded file is no longer in storage; upload it again.")
            return
        with source:
            rows = CsvRows(source, delimiter=job.delimiter)
            match = match_header(rows.header, columns=self.kind.columns, required=self.kind.required)
            if match.missing:
                self._fail_on_header(match.missing)
                return
            self._warn_about_header(match)
            validate = self.kind.validator(match)
            if self.job.phase == ImportPhase.VALIDATING:
                rows.skip(self.job.processed)
                self._pass(rows, validate, load=False)
                if not self._after_validation():
                    return
                source.seek(0)
                rows = CsvRows(source, delimiter=job.delimiter)
            rows.skip(self.job.processed)
            self._pass(rows, validate, load=True)
        self._finish(ImportState.SUCCEEDED)

    def _warn_about_header(self, match) -> None:
        warnings = []
        if match.unknown:
            warnings.append(f"Unknown columns ignored: {', '.join(match.unknown)}.")
        for name in match.repeated:
            warnings.append(f"Column {name!r} appears more than once; the first one is used.")
        if not warnings:
            return
        with transaction.atomic():
            job = self._locked()
            new = [warning for warning in warnings if warning not in job.warnings]
            if new:
                job.warnings = [*new, *job.warnings][:MAX_WARNINGS]
                job.save(update_fields=["warnings", "updated_at"])

    def _fail_on_header(self, missing: list[str]) -> None:
        with transaction.atomic():
            job = self._locked()
            job.row_errors.filter(code="missing_column").delete()
            ImportRowError.objects.bulk_create(
                ImportRowError(
                    job=job,
                    line=1,
                    column=name,
                    code="missing_column",
                    message=f"The header has no {name!r} column, which is required.",
                )
                for name in missing
            )
            job.errors_recorded = job.row_errors.count()
            job.save(update_fields=["errors_recorded", "updated_at"])
        names = ", ".join(repr(name) for name in missing)
        self._finish(ImportState.FAILED, f"Missing required column {names}: no row was read.")

    def _pass(self, rows: CsvRows, validate, *, load: bool) -> None:
        batch_size = self.kind.batch_size
        stream = iter(rows)
        while batch := list(islice(stream, batch_size)):
            valid, problems, rejected = [], [], 0
            for line, cells in batch:
                result = validate(cells)
                if type(result) is list:
                    rejected += 1
                    problems.extend((line, problem) for problem in result)
                elif load:
                    valid.append((line, result))
            self._commit(consumed=len(batch), last_line=batch[-1][0], valid=valid, problems=problems, rejected=rejected)

    def _commit(self, *, consumed: int, last_line: int, valid: list, problems: list, rejected: int) -> None:
        """One batch and the checkpoint, in one transaction."""
        with transaction.atomic():
            job = self._locked()
            loaded = self.kind.load(valid) if valid else None
            if loaded is not None:
                problems = problems + loaded.problems
                rejected += loaded.rejected
                job.created += loaded.created
                job.skipped += loaded.skipped
                job.summary = _merged(job.summary, loaded.summary)
                if loaded.warnings and len(job.warnings) < MAX_WARNINGS:
                    job.warnings = [*job.warnings, *loaded.warnings][:MAX_WARNINGS]
            room = max(0, settings.IMPORT_MAX_ERRORS - job.errors_recorded)
            if problems and room:
                ImportRowError.objects.bulk_create(
                    [
                        ImportRowError(
                            job=job,
                            line=line,
                            column=problem.column,
                            code=problem.code,
                            message=problem.message[:MESSAGE_MAX_LENGTH],
                            value=problem.value[:VALUE_MAX_LENGTH],
                        )
                        for line, problem in problems[:room]
                    ],
                    batch_size=1000,
                )
                job.errors_recorded += min(room, len(problems))
            job.processed += consumed
            job.last_line = last_line
            job.failed += rejected
            job.heartbeat_at = timezone.now()
            job.attempts = 1  # progress: this run is the first since the last one
            job.save(
                update_fields=[
                    "processed",
                    "last_line",
                    "created",
                    "failed",
                    "skipped",
                    "errors_recorded",
                    "summary",
                    "warnings",
                    "heartbeat_at",
                    "attempts",
                    "updated_at",
                ]
            )
        self.job = job
        if self.on_progress is not None:
            self.on_progress(job)

    def _after_validation(self) -> bool:
        """End of the validation pass: finish a dry run or a refused all-or-nothing job, or go on to load."""
        job = self.job
        all_or_nothing = job.mode == ImportMode.ALL_OR_NOTHING
        if job.dry_run:
            if all_or_nothing and job.failed:
                self._finish(ImportState.FAILED, f"Dry run: {job.failed} invalid rows; an import would load nothing.")
            else:
                self._finish(ImportState.SUCCEEDED, "Dry run: nothing was loaded.")
            return False
        if job.failed:
            self._finish(ImportState.FAILED, f"{job.failed} of {job.total} rows are invalid; nothing was loaded.")
            return False
        with transaction.atomic():
            job = self._locked()
            job.phase = ImportPhase.LOADING
            job.processed = 0
            job.last_line = 0
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["phase", "processed", "last_line", "heartbeat_at", "updated_at"])
        self.job = job
        return True

    def _finish(self, state: str, message: str = "") -> None:
        with transaction.atomic():
            job = self._locked()
            _close(job, state, message=message)
        self.job = job


def _merged(summary: dict, extra: dict) -> dict:
    merged = dict(summary)
    for key, value in extra.items():
        if isinstance(value, dict):
            inner = dict(merged.get(key) or {})
            for inner_key, count in value.items():
                inner[inner_key] = inner.get(inner_key, 0) + count
            merged[key] = inner
        else:
            merged[key] = merged.get(key, 0) + value
    return merged


# --- The end of a job ------------------------------------------------------------------------


def _close(job: ImportJob, state: str, *, message: str = "", actor: User | None = None) -> None:
    """Move a locked, unfinished job to its final state and tell who it concerns, in the caller's transaction."""
    now = timezone.now()
    job.state = state
    job.finished_at = now
    job.run_token = None
    job.heartbeat_at = None
    if message:
        job.message = message
    job.save(update_fields=["state", "finished_at", "run_token", "heartbeat_at", "message", "updated_at"])
    events.import_finished(job=job, actor=actor)
    organization_id = job.organization_id
    transaction.on_commit(lambda: _start_next(organization_id))
    logger.info("Import %s %s: %s created, %s failed of %s", job.pk, state, job.created, job.failed, job.total)


# --- Cancel, retry, sweep --------------------------------------------------------------------


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor: User | None) -> ImportJob:
    """Stop a pending or running job. A running one stops between batches: rows of batches already
    committed stay (``created`` says how many); the batch being loaded, if any, commits first."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.state not in ACTIVE_STATES:
        raise Conflict(f"This import has already ended ({job.state}).")
    who = actor.email if actor is not None else "an operator"
    _close(job, ImportState.CANCELLED, message=f"Cancelled by {who}.", actor=actor)
    return job


@transaction.atomic
def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Queue a failed or cancelled job again (staff), or restart one whose worker is gone.

    It resumes from its checkpoint: rows already loaded are not loaded again. A job still
    validating starts its validation over. It goes to the back of its organization's queue.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    dead = job.state == ImportState.RUNNING and not _alive(job, _stale_before())
    if job.state not in (ImportState.FAILED, ImportState.CANCELLED) and not dead:
        raise Conflict(f"Only failed, cancelled or stalled imports can be retried; this one is {job.state}.")
    if job.phase == ImportPhase.VALIDATING or job.processed == 0:
        job.row_errors.all().delete()
        job.processed = job.last_line = job.failed = job.errors_recorded = 0
    job.state = ImportState.PENDING
    job.attempts = 0
    job.run_token = None
    job.heartbeat_at = None
    job.finished_at = None
    job.message = ""
    job.queued_at = timezone.now()
    job.save()
    organization_id = job.organization_id
    transaction.on_commit(lambda: _start_next(organization_id))
    return job


def import_jobs_sweep() -> int:
    """The beat task: start each organization's next job where none is alive, which resumes jobs whose
    worker died (from their checkpoint) and starts pending jobs whose message was lost. Returns how many."""
    stale_before = _stale_before()
    active = (
        ImportJob.objects.filter(state__in=ACTIVE_STATES)
        .only("pk", "organization_id", "state", "heartbeat_at", "queued_at")
        .order_by("organization_id", "queued_at", "pk")
    )
    started = 0
    for _, jobs in groupby(active, lambda job: job.organization_id):
        job = _next_in_line(list(jobs), stale_before)
        if job is not None:
            if job.state == ImportState.RUNNING:
                logger.warning("Import %s lost its worker (no heartbeat since %s); resuming", job.pk, job.heartbeat_at)
            _enqueue(job.pk)
            started += 1
    return started
