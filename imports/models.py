"""Import jobs: one uploaded CSV file, its state, its checkpoint, and the rows it rejected.

A job is both the record the API shows and the checkpoint a worker resumes from: ``phase`` and
``processed`` (data rows consumed in that phase) are written in the same transaction as the
rows of each batch, so a run that dies at any point leaves a checkpoint that matches the data.
It is a ``config.jobs.Job``: claimed, kept alive, ended and rescued the way every job row is.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import classproperty

from config.jobs import Job


class ImportKind(models.TextChoices):
    TASKS = "tasks"
    MEMBERS = "members"


class ImportMode(models.TextChoices):
    SKIP_INVALID = "skip_invalid", "Skip invalid rows"
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing"


class ImportState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (ImportState.PENDING, ImportState.RUNNING)
FINISHED_STATES = (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.CANCELLED)


class ImportPhase(models.TextChoices):
    """Dry runs and all-or-nothing jobs read the whole file once to validate it before loading anything."""

    VALIDATING = "validating"
    LOADING = "loading"


def upload_path(job: "ImportJob", filename: str) -> str:
    # Never the client's file name in a path: only ids.
    return f"imports/{job.organization_id}/{job.pk}.csv"


class ImportJob(Job):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Not indexed alone: the (organization, created_at) index serves every lookup by organization.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="import_jobs", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who uploaded it; receives the notification when it ends.",
    )
    by_operator = models.BooleanField(
        default=False, help_text="Started by an operator (manage.py import_csv): no role checks on the run."
    )
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    mode = models.CharField(max_length=16, choices=ImportMode.choices, default=ImportMode.SKIP_INVALID)
    dry_run = models.BooleanField(default=False)

    file = models.FileField(upload_to=upload_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    delimiter = models.CharField(max_length=1, default=",")

    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.PENDING)
    phase = models.CharField(max_length=16, choices=ImportPhase.choices, default=ImportPhase.LOADING)
    total = models.PositiveIntegerField(default=0, help_text="Data rows in the file (blank lines excluded).")
    # The checkpoint: data rows consumed in the current phase, and the file line of the last one.
    processed = models.PositiveIntegerField(default=0)
    last_line = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="Tasks created, or members added and invited.")
    failed = models.PositiveIntegerField(default=0, help_text="Rows rejected.")
    skipped = models.PositiveIntegerField(default=0, help_text="Valid rows with nothing to do (already a member).")
    errors_recorded = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # What the end-of-job notifications need, accumulated batch by batch with the checkpoint:
    # {"assignees": {user_id: tasks}, "members_added": n, "invited": n}.
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, help_text="Why the job failed, for people.")

    # Jobs of one organization run one at a time in this order; a retry goes to the back.
    queued_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    job_task = "imports.tasks.run_import"
    job_max_attempts = "IMPORT_MAX_ATTEMPTS"
    # Its organization's queue decides which job starts (imports.queue), not the generic sweep.
    job_sweep_enqueue = False
    # How long the oldest pending job has waited in its queue, at each scrape of /metrics: the partial
    # import_job_active_queue_idx (unfinished jobs only) serves it.
    job_waiting_since = "queued_at"

    @classproperty
    def job_stale_after(cls) -> int:
        """Seconds, from a setting in minutes (read at each use, for override_settings)."""
        return settings.IMPORT_HEARTBEAT_TIMEOUT * 60

    @classmethod
    def job_give_up(cls, lost, *, max_attempts, now) -> int:
        from imports.queue import import_job_give_up_lost  # the queue module imports this one

        return import_job_give_up_lost(lost)

    @classmethod
    def job_sweep_start(cls, *, limit, now) -> int:
        from imports.queue import import_job_start_waiting

        return import_job_start_waiting(limit=limit)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The organization's list, newest first.
            models.Index(fields=["organization", "-created_at"], name="import_job_org_created_idx"),
            # The queue of an organization and the beat sweep: only jobs that are not finished.
            models.Index(
                fields=["organization", "queued_at"],
                name="import_job_active_queue_idx",
                condition=models.Q(state__in=["pending", "running"]),
            ),
        ]

    def __str__(self):
        return f"{self.kind} import {self.original_name or self.pk} ({self.state})"

    @property
    def two_passes(self) -> bool:
        """Validated in full before loading: all-or-nothing imports that really load."""
        return self.mode == ImportMode.ALL_OR_NOTHING and not self.dry_run

    @property
    def progress(self) -> int:
        """0-100 over the whole job; a two-pass job counts validation as its first half."""
        if self.state == ImportState.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        done = min(self.processed, self.total) / self.total
        if self.two_passes:
            done = done / 2 if self.phase == ImportPhase.VALIDATING else 0.5 + done / 2
        return min(100, int(done * 100))

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class ImportRowError(models.Model):
    """One problem of one rejected row (a row may have several, one per column). Bounded per job."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by (job, line, id) below, which also serves lookups by job alone.
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors", db_index=False)
    line = models.PositiveIntegerField(help_text="Line of the file where the row starts; the header is line 1.")
    column = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=32)
    message = models.CharField(max_length=500)
    value = models.CharField(max_length=200, blank=True, help_text="The rejected cell, shortened.")

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line", "id"], name="import_error_job_line_idx")]

    def __str__(self):
        return f"line {self.line} {self.column}: {self.code}"
