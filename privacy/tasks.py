from celery import shared_task

# A module import, not names: the services enqueue these tasks, so the two modules import each other.
from privacy import services


@shared_task
def build_data_export(export_id: str) -> str | None:
    """Build a person's data export. Safe to run twice: the service only builds a pending (or abandoned) one."""
    export = services.data_export_build(export_id=export_id)
    return export.state if export else None


@shared_task
def anonymise_deleted_accounts() -> int:
    """Beat: anonymise the deleted accounts whose grace period is over."""
    return len(services.accounts_anonymise_due())
