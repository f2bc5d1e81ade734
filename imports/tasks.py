"""Celery tasks of imports: thin, they take a job id and call a service that checks the job's state first.

Jobs whose worker died, or whose message was lost, are rescued by the one sweep, ``config.tasks.sweep_jobs``.
"""

from celery import shared_task

from imports import services


@shared_task
def run_import(job_id: str) -> str | None:
    """Run or resume an import job. Safe to run twice: only one run holds a job, and only in its turn."""
    job = services.import_job_run(job_id=job_id)
    return job.state if job is not None else None
