import datetime

from celery import shared_task

# A module import, not names: the services enqueue these tasks, so the two modules import each other.
from reports import services


@shared_task
def build_report_export(export_id: str) -> str | None:
    """Build an export's file. Safe to run twice: the service only builds a pending (or abandoned) export."""
    export = services.report_export_build(export_id=export_id)
    return export.state if export else None


@shared_task
def send_weekly_reports() -> int:
    """Beat, weekly: enqueue the weekly report email of every organization that turned it on."""
    return services.weekly_report_enqueue_all()


@shared_task
def send_weekly_report(organization_id: str, week_start: str) -> int:
    """Email one organization's weekly report to its owners and admins; nothing if already sent that week."""
    return services.weekly_report_send(
        organization_id=organization_id, week_start=datetime.date.fromisoformat(week_start)
    )
