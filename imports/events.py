"""Who hears about what happens to an import. Notifications are written in the caller's transaction."""

from accounts.models import User
from imports.kinds import import_kind_for
from imports.models import ImportJob, ImportState
from notifications.models import NotificationKind
from notifications.services import notification_create


def _job_url(job: ImportJob) -> str:
    return f"/imports/{job.pk}"


def import_finished(*, job: ImportJob, actor: User | None) -> None:
    """The importer hears how the import ended; whoever else the kind names (``summary_notices``), their share."""
    common = {"organization_id": job.organization_id, "target_type": "import", "target_id": job.pk}
    data = {
        "import": {"id": str(job.pk), "kind": job.kind, "file": job.original_name, "state": job.state},
        "total": job.total,
        "created": job.created,
        "failed": job.failed,
        "skipped": job.skipped,
    }
    importer = job.created_by_id
    for notice in import_kind_for(job).summary_notices():
        notification_create(
            recipients=notice.recipients,
            kind=NotificationKind.IMPORT_SUMMARY,
            actor=importer,
            title=notice.title,
            body=f"From the import of {job.original_name or 'a CSV file'}.",
            url=notice.url,
            data={**data, **notice.data},
            **common,
        )
    if importer is not None:
        outcome = {
            ImportState.SUCCEEDED: "finished",
            ImportState.FAILED: "failed",
            ImportState.CANCELLED: "was cancelled",
        }[job.state]
        notification_create(
            recipients=[importer],
            kind=NotificationKind.IMPORT_FINISHED,
            actor=actor,
            title=f"Your import of {job.original_name or 'a CSV file'} {outcome}",
            body=_summary_line(job),
            url=_job_url(job),
            data=data,
            **common,
        )


def _summary_line(job: ImportJob) -> str:
    parts = [f"{job.created} created", f"{job.failed} rejected"]
    if job.skipped:
        parts.append(f"{job.skipped} skipped")
    text = f"{', '.join(parts)} of {job.total} rows."
    return f"{job.message} {text}" if job.message else text
