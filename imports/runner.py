"""Running one claimed import job: its file in batches, each committed with the job's checkpoint.

1. **Header.** Columns are matched ignoring case and surrounding spaces; a missing required
   column fails the job before any row; unknown ones become warnings.
2. **Batches.** Rows stream from the stored file and are validated by the job's kind
   (``imports.kinds``), one batch ahead in a second thread (``ImportRun._pass``). Each batch
   commits in ONE transaction with the job's checkpoint
   (``processed``, ``last_line``, counts) saved as the run's heartbeat: a worker killed anywhere
   resumes from the last committed batch, losing and duplicating nothing. Every write of a run is
   conditional on the run still holding the job (``config.jobs``), so a cancelled job stops at the
   next batch and a run whose job was taken over stops without writing.
   Dry runs and all-or-nothing jobs first validate the whole file (phase ``validating``); an
   all-or-nothing job loads (phase ``loading``) only if no row is invalid.
3. **End.** The final state (``job_finish``), the notifications (``imports.events``) and, once
   that commits, the start of the organization's next job, in one transaction.

A run that raises unexpectedly is released (``job_release``): the job stays running with no
heartbeat, a lost run that the sweep resumes from its checkpoint, or gives up past
``IMPORT_MAX_ATTEMPTS`` runs without progress.

The runner knows no kind: columns, validation, loading and the summary come from the kind's class.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from config import metrics
from config.errors import StorageUnavailable
from config.jobs import job_finish, job_heartbeat, job_lock, job_release
from imports import queue
from imports.csv_source import CsvRows, match_header
from imports.kinds import import_kind_for
from imports.models import ImportJob, ImportMode, ImportPhase, ImportRowError, ImportState
from imports.signals import import_progressed

logger = logging.getLogger(__name__)

MAX_WARNINGS = 100
VALUE_MAX_LENGTH = ImportRowError._meta.get_field("value").max_length
MESSAGE_MAX_LENGTH = ImportRowError._meta.get_field("message").max_length


class _Stopped(Exception):
    """The job was cancelled, or another run took it over: stop without writing anything more."""


def import_job_execute(
    job: ImportJob, *, refusal: str = "", on_progress: Callable[[ImportJob], None] | None = None
) -> None:
    """Run a job this caller claimed, to its end or until it is stopped; ``refusal`` fails it at once.

    ``on_progress`` is called with the job after each committed batch.
    """
    run = ImportRun(job, on_progress=on_progress)
    try:
        if refusal:
            run.finish(ImportState.FAILED, refusal)
        else:
            run.execute()
    except _Stopped:
        logger.info("Import %s stopped: cancelled or taken over", job.pk)
    except Exception as exc:
        logger.exception("Import %s failed unexpectedly; the sweep will resume it", job.pk)
        try:
            job_release(run.job, error=exc)
        except DatabaseError:
            logger.exception("Could not record the failure of import %s; its heartbeat will go stale", job.pk)


class ImportRun:
    """One run of one claimed job: everything it writes is conditional on holding the job."""

    def __init__(self, job: ImportJob, *, on_progress=None):
        self.job = job
        self.kind = import_kind_for(job)
        self.on_progress = on_progress

    def _hold(self) -> ImportJob:
        """The job row, locked until the end of the current transaction; _Stopped if no longer ours."""
        job = job_lock(self.job)
        if job is None:
            raise _Stopped()
        job.organization, job.created_by = self.job.organization, self.job.created_by
        return job

    def _checkpoint(self, job: ImportJob, *fields: str) -> None:
        """Save ``fields`` of the held, locked ``job`` as the run's heartbeat; it becomes the run's job."""
        if not job_heartbeat(job, **{name: getattr(job, name) for name in fields}):
            raise _Stopped()
        self.job = job

    def execute(self) -> None:
        job = self.job
        try:
            source = job.file.open("rb")
        except StorageUnavailable:
            raise  # an outage, not a lost file: the job is released and the sweep resumes it
        except (FileNotFoundError, OSError, ValueError):
            self.finish(ImportState.FAILED, "The uploaded file is no longer in storage; upload it again.")
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
        self.finish(ImportState.SUCCEEDED)

    def _warn_about_header(self, match) -> None:
        warnings = []
        if match.unknown:
            warnings.append(f"Unknown columns ignored: {', '.join(match.unknown)}.")
        for name in match.repeated:
            warnings.append(f"Column {name!r} appears more than once; the first one is used.")
        if not warnings:
            return
        with transaction.atomic():
            job = self._hold()
            new = [warning for warning in warnings if warning not in job.warnings]
            if new:
                job.warnings = [*new, *job.warnings][:MAX_WARNINGS]
                self._checkpoint(job, "warnings")

    def _fail_on_header(self, missing: list[str]) -> None:
        with transaction.atomic():
            job = self._hold()
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
            self._checkpoint(job, "errors_recorded")
        names = ", ".join(repr(name) for name in missing)
        self.finish(ImportState.FAILED, f"Missing required column {names}: no row was read.")

    def _pass(self, rows: CsvRows, validate, *, load: bool) -> None:
        """Every batch of ``rows``, validated, then committed (and loaded if ``load``), in file order.

        The next batch is read and validated in a second thread while this one is being written: the
        database works on one batch (COPY, indexes, the deferred foreign-key checks at commit) while
        Python parses and checks the next, instead of each waiting for the other. Only reading and
        validating happen there (no query, no write); batches still commit one at a time, in order,
        each with its checkpoint, from this thread. At most three batches are in memory.
        """
        stream, size = iter(rows), self.kind.batch_size
        figures = {"kind": self.job.kind, "phase": ImportPhase.LOADING if load else ImportPhase.VALIDATING}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead") as reader:
            started = time.perf_counter()
            ahead = reader.submit(_validated_batch, stream, validate, size, load=load)
            while (batch := ahead.result()) is not None:
                ahead = reader.submit(_validated_batch, stream, validate, size, load=load)
                self._commit(**batch)
                # Rows per second while importing: the rows' rate over the batches' time (docs/observability.md).
                now = time.perf_counter()
                metrics.record(
                    (metrics.IMPORT_ROWS, figures, batch["consumed"]),
                    (metrics.IMPORT_BATCH_SECONDS, figures, now - started),
                )
                started = now

    def _commit(self, *, consumed: int, last_line: int, valid: list, problems: list, rejected: int) -> None:
        """One batch and the checkpoint, in one transaction."""
        with transaction.atomic():
            job = self._hold()
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
            job.attempts = 1  # progress: this run is the first since the last one
            self._checkpoint(
                job,
                "processed",
                "last_line",
                "created",
                "failed",
                "skipped",
                "errors_recorded",
                "summary",
                "warnings",
                "attempts",
            )
            import_progressed.send(sender=ImportJob, job=self.job)
        if self.on_progress is not None:
            self.on_progress(self.job)

    def _after_validation(self) -> bool:
        """End of the validation pass: finish a dry run or a refused all-or-nothing job, or go on to load."""
        job = self.job
        all_or_nothing = job.mode == ImportMode.ALL_OR_NOTHING
        if job.dry_run:
            if all_or_nothing and job.failed:
                self.finish(ImportState.FAILED, f"Dry run: {job.failed} invalid rows; an import would load nothing.")
            else:
                self.finish(ImportState.SUCCEEDED, "Dry run: nothing was loaded.")
            return False
        if job.failed:
            self.finish(ImportState.FAILED, f"{job.failed} of {job.total} rows are invalid; nothing was loaded.")
            return False
        with transaction.atomic():
            job = self._hold()
            job.phase = ImportPhase.LOADING
            job.processed = 0
            job.last_line = 0
            self._checkpoint(job, "phase", "processed", "last_line")
        return True

    def finish(self, state: str, message: str = "") -> None:
        """End the run's job in ``state`` (``job_finish``), with its notifications, in one transaction."""
        with transaction.atomic():
            job = self._hold()
            fields = {"finished_at": timezone.now(), "heartbeat_at": None, **({"message": message} if message else {})}
            if not job_finish(job, state, **fields):
                raise _Stopped()
            queue.import_job_after_end(job)
        self.job = job


def _validated_batch(stream, validate, size: int, *, load: bool) -> dict | None:
    """The next ``size`` rows of ``stream`` through ``validate``, as ``ImportRun._commit`` takes them;
    None at the end of the file. The valid rows are kept only when they are to be loaded."""
    batch = list(islice(stream, size))
    if not batch:
        return None
    valid, problems, rejected = [], [], 0
    for line, cells in batch:
        result = validate(cells)
        if type(result) is list:
            rejected += 1
            problems.extend((line, problem) for problem in result)
        elif load:
            valid.append((line, result))
    return {
        "consumed": len(batch),
        "last_line": batch[-1][0],
        "valid": valid,
        "problems": problems,
        "rejected": rejected,
    }


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
