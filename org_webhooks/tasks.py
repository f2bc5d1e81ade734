"""Thin tasks: each takes an id and calls a service. Deliveries run on the ``webhooks`` queue (CELERY_TASK_ROUTES)."""

from celery import shared_task

from org_webhooks import services


@shared_task(bind=True, autoretry_for=(), max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: str) -> str:
    """Send one delivery. Safe to run twice: the service claims the row first.

    A retry due within ``COUNTDOWN_MAX_SECONDS`` (5 s, 5 min, 30 min, an endpoint that is busy) waits
    in the broker; a later one, and every retry when tasks run eagerly (no broker), is sent by the
    beat sweep once due (``WebhookDelivery.job_sweep_start``).
    """
    outcome = services.delivery_attempt(delivery_id=delivery_id)
    if (
        outcome.retry_in is not None
        and not self.request.is_eager
        and outcome.retry_in <= services.COUNTDOWN_MAX_SECONDS
    ):
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task
def send_endpoint_paused_email(endpoint_id: str) -> int:
    return services.endpoint_paused_email_send(endpoint_id=endpoint_id)
