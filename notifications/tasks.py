"""Thin tasks: each takes a delivery id and calls the delivery service."""

from celery import shared_task

from notifications import services


@shared_task(bind=True, autoretry_for=(), max_retries=None, acks_late=True)
def deliver_notification(self, delivery_id: str) -> str:
    """Send one notification delivery. Safe to run twice: the service claims the row first.

    Attempts are counted on the row (``NOTIFICATION_MAX_ATTEMPTS``), not by Celery, since the
    beat sweep (``config.tasks.sweep_jobs``) may enqueue the same delivery again with a fresh
    Celery retry count.
    """
    outcome = services.notification_delivery_attempt(delivery_id=delivery_id)
    # Eager (no broker): retry in-process at once, as Celery's eager retries do, but without
    # raising ``Retry`` into the caller (an on_commit hook of a request that already committed).
    while outcome.retry_in is not None and self.request.is_eager:
        outcome = services.notification_delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state
