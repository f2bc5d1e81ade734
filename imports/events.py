"""Who hears about what happens to an import. Notifications are written in the caller's transaction."""

from accounts.models import User
from imports.models import ImportJob, ImportState
from notifications.models import NotificationKind
from notifications.services import notify


def _job_url(job: ImportJob) -> str:
    return f"/imports/{job.pk}"


def import_finished(*, job: ImportJob, actor: User | None) -> None:
    """The importer hears how the import ended; each assignee, how many imported tasks are theirs."""
    common = {"organization_id": job.organization_id, "target_type": "import", "target_id": job.pk}
    data = {
        "import": {"id": str(job.pk), "kind": job.kind, "file": job.original_name, "state": job.state},
        "total": job.total,
        "created": job.created,
        "failed": job.failed,
        "skipped": job.skipped,
    }
    assignees = (job.summary or {}).get("assignees") or {}
    by_count: dict[int, list[str]] = {}
    for user_id, count in assignees.items():
        by_count.setdefault(count, []).append(user_id)
    importer = job.created_by_id
    for count, user_ids in sorted(by_count.items()):
        notify(
            recipients=user_ids,
            kind=NotificationKind.IMPORT_SUMMARY,
            actor=importer,
            title=f"{count} imported task{'s' if count != 1 else ''} {'were' if count != 1 else 'was'} assigned to you",
            body=f"From the import of {job.original_name or 'a CSV file'}.",
            url="/tasks/assigned",
            data={**data, "assigned_to_you": count},
            **common,
        )
    if importer is not None:
        outcome = {
            ImportState.SUCCEEDED: "finished",
            ImportState.FAILED: "failed",
            ImportState.CANCELLED: "was cancelled",
        }[job.state]
        notify(
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
