"""Celery tasks that know no domain: the one sweep over every kind of job row."""

from celery import shared_task

from config.jobs import jobs_sweep


@shared_task
def sweep_jobs() -> dict[str, int]:
    """Beat: rescue lost runs and re-enqueue pending jobs no worker picked up, for every job model."""
    return {label: result.enqueued + result.given_up for label, result in jobs_sweep().items()}
