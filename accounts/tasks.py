from celery import shared_task
from django.conf import settings

from accounts import emails
from accounts.models import User


@shared_task
def send_password_reset_email(user_id: str) -> bool:
    """Make the one-time token here, in the worker, so it never travels through the broker."""
    from accounts.services import password_reset_token_make

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    token = password_reset_token_make(user)
    emails.send(
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "reset_url": f"{settings.FRONTEND_URL}/reset-password?token={token}",
            "token": token,
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
    )
    return True


@shared_task(bind=True, autoretry_for=(), max_retries=None, acks_late=True)
def deliver_notification(self, delivery_id: str) -> str:
    """Send one notification delivery. Safe to run twice: the service claims the row first.

    Attempts are counted on the row (``NOTIFICATION_MAX_ATTEMPTS``), not by Celery, since the
    beat sweep may enqueue the same delivery again with a fresh Celery retry count.
    """
    from accounts.services import notification_delivery_attempt

    outcome = notification_delivery_attempt(delivery_id=delivery_id)
    # Eager (no broker): retry in-process at once, as Celery's eager retries do, but without
    # raising ``Retry`` into the caller (an on_commit hook of a request that already committed).
    while outcome.retry_in is not None and self.request.is_eager:
        outcome = notification_delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task
def requeue_notification_deliveries() -> int:
    """Beat: enqueue again deliveries left pending or stuck sending (lost message, dead worker)."""
    from accounts.services import notification_deliveries_requeue

    return notification_deliveries_requeue()
