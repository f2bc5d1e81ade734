import uuid

from django.conf import settings
from django.db import models

from accounts.models import User
from config.jobs import Job


class DataExportState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def data_export_file_path(export: "DataExport", filename: str) -> str:
    """Storage names from ids only: nothing a user typed ends up in a path."""
    return f"privacy/exports/{export.user_id}/{export.pk}.json"


class DataExport(Job):
    """A JSON file of everything the project keeps about one person, built by a worker for them alone.

    A job row (``config.jobs``): pending -> running -> succeeded | failed, by
    ``services.data_export_build``; the beat sweep builds again an export whose worker was lost.
    The file is deleted, and the row with it, ``DATA_EXPORT_EXPIRY_HOURS`` after it was built
    (``services.data_exports_purge``, a retention policy: ``config/retention.py``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    state = models.CharField(max_length=16, choices=DataExportState.choices, default=DataExportState.PENDING)
    file = models.FileField(upload_to=data_export_file_path, max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the built file is deleted.")

    job_task = "privacy.tasks.build_data_export"
    # One build runs within the task time limit, so a run still "running" past it lost its worker.
    job_stale_after = "DATA_EXPORT_STALE_SECONDS"
    # A build that raises fails at once (the same data would fail again); only lost runs are retried.
    job_max_attempts = 3

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=DataExportState.values), name="data_export_state"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="data_export_user_created"),
            models.Index(fields=["expires_at"], name="data_export_expires"),
        ]

    def __str__(self):
        return f"Data export of {self.user_id} ({self.state})"

    @property
    def is_ready(self) -> bool:
        return self.state == DataExportState.SUCCEEDED and bool(self.file)

    @property
    def filename(self) -> str:
        """The name a download is saved under."""
        return f"my-data-{self.created_at:%Y-%m-%d}.json"


class AccountDeletion(User):
    """Accounts whose owner asked for deletion, seen apart in the admin (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "account deletion"
        verbose_name_plural = "account deletions"
