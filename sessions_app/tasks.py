from celery import shared_task

from sessions_app.services import session_cleanup


@shared_task
def cleanup_sessions() -> int:
    """Beat: delete sessions that ended more than SESSION_RETENTION_DAYS ago."""
    return session_cleanup()
