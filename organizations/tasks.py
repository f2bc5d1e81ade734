from celery import shared_task

from organizations import services


@shared_task
def invitation_email_send(email_id: str) -> str:
    """Send one invitation email (a row id: no token travels here). Safe to run twice: the service claims it."""
    return services.invitation_email_send(email_id=email_id)
