"""Writes of the reports app: exports built by a worker, report settings, the weekly email."""

import datetime
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from config.errors import StorageUnavailable
from config.jobs import enqueue_on_commit, job_claim, job_finish, job_release
from config.retention import DEFAULT_BATCH_SIZE, delete_files_in_batches
from config.services import model_update
from notifications import emails
from organizations.changes import Action, organization_change
from organizations.models import Organization
from organizations.selectors import organization_admin_list
from reports import ranges, rendering, selectors, tasks
from reports.metrics import total_rows
from reports.models import ExportFormat, ExportState, ReportExport, ReportSettings
from reports.ranges import ReportRange, iso_week_label, monday_of, report_range

logger = logging.getLogger(__name__)


# --- Exports -------------------------------------------------------------------------------


@transaction.atomic
def report_export_create(
    *, organization: Organization, requested_by, format: str, report_range: ReportRange
) -> ReportExport:
    """Record an export request; a worker builds the file once this transaction commits."""
    export = ReportExport.objects.create(
        organization=organization,
        requested_by=requested_by,
        format=ExportFormat(format),
        date_from=report_range.date_from,
        date_to=report_range.date_to,
    )
    ReportExport.job_enqueue(export.pk)
    organization_change(
        organization_id=organization.pk,
        action=Action.REPORT_EXPORT_REQUESTED,
        actor=requested_by,
        target=export,
        after={"format": export.format, "from": export.date_from, "to": export.date_to},
    )
    return export


def report_export_build(*, export_id) -> ReportExport | None:
    """Build an export's file into the default storage. Safe to run twice: only a pending export is built
    (or one whose worker was lost: see ``ReportExport.job_stale_after``).

    Any failure marks the export failed with a short reason (details in the log), so a client
    polling it always sees an end state; but a file store that cannot be reached leaves it to be built
    again (``StorageUnavailable``: the sweep's attempts policy then decides).
    """
    export = job_claim(ReportExport, export_id, queryset=selectors.report_export_list(), extra={"last_error": ""})
    if export is None:
        return None
    try:
        period = ReportRange(
            date_from=export.date_from, date_to=export.date_to, as_of=min(export.date_to, ranges.today())
        )
        report = selectors.report_summary(organization=export.organization, report_range=period)
        content = rendering.render_report(report, export.format)
        export.file.save(f"{export.pk}.{export.format}", ContentFile(content.encode("utf-8")), save=False)
    except StorageUnavailable as exc:
        # The store is down, not the report broken: built again by the next claim or the sweep (job_release).
        logger.error("Report export %s could not be stored; it will be built again: %s", export_id, exc)
        job_release(export, error=exc)
        return export
    except Exception:
        logger.exception("Report export %s failed", export_id)
        job_finish(export, ExportState.FAILED, last_error="The report could not be built.", finished_at=timezone.now())
        return export
    with transaction.atomic():
        if job_finish(export, ExportState.SUCCEEDED, file=export.file.name, finished_at=timezone.now()):
            organization_change(
                organization_id=export.organization_id,
                action=Action.REPORT_EXPORT_READY,
                actor=None,  # the worker built it; who asked for it is the export's requested_by
                target=export,
                after={"format": export.format, "from": export.date_from, "to": export.date_to},
            )
    return export


def report_files_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete the files of exports built more than
    ``RETENTION_REPORT_FILES_DAYS`` ago, in batches; the exports stay, ``expired`` (their download answers
    410 ``export_expired``). Returns how many files."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_REPORT_FILES_DAYS)
    built = ReportExport.objects.filter(state=ExportState.SUCCEEDED, finished_at__lt=cutoff)
    return delete_files_in_batches(built, batch_size=batch_size, dry_run=dry_run, state=ExportState.EXPIRED)


# --- Settings ------------------------------------------------------------------------------


@transaction.atomic
def report_settings_update(
    *, organization: Organization, weekly_email: bool | None = None, actor=None
) -> ReportSettings:
    report_settings, _ = ReportSettings.objects.select_for_update().get_or_create(organization=organization)
    data = {"weekly_email": weekly_email} if weekly_email is not None else {}
    before = {name: getattr(report_settings, name) for name in data}
    report_settings, changed = model_update(instance=report_settings, fields=["weekly_email"], data=data)
    if changed:
        organization_change(
            organization_id=organization.pk,
            action=Action.REPORT_SETTINGS_UPDATED,
            actor=actor,
            target=report_settings,
            before={name: before[name] for name in changed},
            after={name: getattr(report_settings, name) for name in changed},
        )
    return report_settings


# --- The weekly email ----------------------------------------------------------------------


def _weekly_report_week(*, on: datetime.date | None = None) -> datetime.date:
    """The Monday of the week a weekly email sent ``on`` that day reports: the last complete week."""
    return monday_of(on or ranges.today()) - timedelta(weeks=1)


def weekly_report_enqueue_all(*, on: datetime.date | None = None) -> int:
    """Enqueue one send per organization whose weekly report of last week is due. Returns how many."""
    week_start = _weekly_report_week(on=on)
    due = list(
        selectors.report_settings_list_weekly_due(week_start=week_start).values_list("organization_id", flat=True)
    )
    for organization_id in due:
        # Not a job row: with the broker down this one is logged as lost and the others still go.
        enqueue_on_commit(tasks.send_weekly_report, str(organization_id), week_start.isoformat())
    return len(due)


@transaction.atomic
def weekly_report_send(*, organization_id, week_start: datetime.date) -> int:
    """Email the report ending with the week of ``week_start`` to each owner and admin; returns emails sent.

    Idempotent per organization and week: the settings row is locked, checked and stamped with
    the week in one transaction, so a second run (beat twice, a redelivered message) sends nothing.
    The report covers the ``REPORT_DEFAULT_WEEKS`` complete weeks ending with that week.
    """
    report_settings = (
        ReportSettings.objects.select_for_update()
        .select_related("organization")
        .filter(organization_id=organization_id, organization__deleted_at__isnull=True)
        .first()
    )
    if report_settings is None or not report_settings.weekly_email:
        return 0
    last = report_settings.weekly_email_last_week
    if last is not None and last >= week_start:
        return 0
    organization = report_settings.organization
    date_to = week_start + timedelta(days=6)
    period = report_range(
        date_from=week_start - timedelta(weeks=settings.REPORT_DEFAULT_WEEKS - 1), date_to=date_to, on=date_to
    )
    report = selectors.report_summary(organization=organization, report_range=period)
    context = {
        "organization": organization,
        "report": report,
        "totals": total_rows(report),
        "week_label": iso_week_label(week_start),
        "week_start": week_start,
        "week_end": date_to,
        "last_week": report["weeks"][-1],
        "top_assignees": report["by_assignee"][:5],
    }
    sent = 0
    for user in organization_admin_list(organization_id=organization.pk):
        emails.send(to=user.email, template="weekly_report", context={**context, "user": user})
        sent += 1
    report_settings.weekly_email_last_week = week_start
    report_settings.weekly_email_last_sent_at = timezone.now()
    report_settings.save(update_fields=["weekly_email_last_week", "weekly_email_last_sent_at", "updated_at"])
    return sent
