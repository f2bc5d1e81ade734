"""Celery tasks of the tasks app: thin, they call a service."""

from celery import shared_task

from tasks_app import services


@shared_task
def reindex_search_language(organization_id: str) -> int:
    """Index an organization's tasks again in its current language; safe to run twice (it only moves rows not
    in it yet)."""
    return services.task_search_language_sync(organization_id=organization_id)
