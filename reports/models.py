import uuid

from django.conf import settings
from django.db import models

from config.jobs import Job


class ExportFormat(models.TextChoices):
    HTML = "html"
    CSV = "csv"


class ExportState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Built, and its file since deleted by retention (RETENTION_REPORT_FILES_DAYS after it was built).
    EXPIRED = "expired"


def export_file_path(export: "ReportExport", filename: str) -> str:
    """Storage names from ids only: nothing a user typed ends up in a path."""
    return f"reports/exports/{export.organization_id}/{export.pk}.{export.format}"


class ReportExport(Job):
    """A report file (HTML with charts, or CSV) built by a worker, then downloaded by members.

    A job row (``config.jobs``): the state moves pending -> running -> succeeded | failed, by
    ``services.report_export_build``; the beat sweep builds again an export whose worker was lost,
    and gives it up (failed) after ``job_max_attempts`` lost runs. ``last_error`` is what the API
    shows as ``error`` and ``claimed_at`` its ``started_at``. ``RETENTION_REPORT_FILES_DAYS`` after it
    succeeded, retention deletes its file and the export turns ``expired`` (``services.report_files_purge``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="report_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    date_from = models.DateField()
    date_to = models.DateField()
    state = models.CharField(max_length=16, choices=ExportState.choices, default=ExportState.PENDING)
    file = models.FileField(upload_to=export_file_path, max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    job_task = "reports.tasks.build_report_export"
    # One build runs within the task time limit, so a run still "running" past it lost its worker.
    job_stale_after = "REPORT_EXPORT_STALE_SECONDS"
    # A build that raises fails at once (the same data would fail again); only lost runs are retried.
    job_max_attempts = 3

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(format__in=ExportFormat.values), name="report_export_format"),
            models.CheckConstraint(condition=models.Q(state__in=ExportState.values), name="report_export_state"),
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")), name="report_export_range_ordered"
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="report_export_org_created")]

    def __str__(self):
        return f"{self.format} report {self.date_from}..{self.date_to} ({self.state})"

    @property
    def is_ready(self) -> bool:
        return self.state == ExportState.SUCCEEDED and bool(self.file)

    @property
    def filename(self) -> str:
        """The name a download is saved under."""
        return f"report-{self.organization.slug}-{self.date_from}-{self.date_to}.{self.format}"


class ReportSettings(models.Model):
    """An organization's report settings: the weekly email to its owners and admins.

    ``weekly_email_last_week`` (the Monday of the last week emailed) makes the weekly send
    idempotent: a second run in the same week finds it already set and sends nothing.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, primary_key=True, related_name="report_settings"
    )
    weekly_email = models.BooleanField(
        default=False, help_text="Email the weekly report to the organization's owners and admins."
    )
    weekly_email_last_week = models.DateField(
        null=True, blank=True, help_text="Monday of the last week whose report was emailed."
    )
    weekly_email_last_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "report settings"

    def __str__(self):
        return f"Report settings of {self.organization_id}"
