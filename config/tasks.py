"""Celery tasks that know no domain: the one sweep over every kind of job row, and the retention policy."""

from celery import shared_task

from config.jobs import jobs_sweep
from config.retention import retention_run


@shared_task
def sweep_jobs() -> dict[str, int]:
    """Beat: rescue lost runs and re-enqueue pending jobs no worker picked up, for every job model."""
    return {label: result.enqueued + result.given_up for label, result in jobs_sweep().items()}


@shared_task
def purge() -> dict[str, int]:
    """Beat: apply every retention policy (``config/retention.py``); what each removed, by policy name."""
    return {result.policy.name: result.removed for result in retention_run() if not result.error}
