"""A webhook delivery survives a real Celery worker killed mid-request, and is recorded delivered once."""

import signal
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.jobs import job_sweep
from devtools.processes import wait_until
from notifications.models import DeliveryChannel, DeliveryState, NotificationDelivery
from notifications.services import notification_create
from tests.factories import UserFactory
from tests.notifications.webhook_server import verify_signature

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(celery_worker):
    """Workers whose webhook client waits long enough for the test server's stall to be ours."""
    return celery_worker(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true", WEBHOOK_READ_TIMEOUT=60, WEBHOOK_TOTAL_TIMEOUT=120)


def test_a_delivery_survives_a_worker_killed_mid_request(start_worker, webhook_server):
    user = UserFactory(notify_email=False, webhook_url=webhook_server.url(), webhook_secret="whsec_worker_test")
    release = webhook_server.stall_next(status=503)  # the first request hangs until the worker is dead

    with transaction.atomic():
        (notification,) = notification_create(recipients=[user], kind="assigned", title="Fix the roof")
    # Enqueued on commit to Redis; a first worker takes it and gets stuck in the request.
    delivery = NotificationDelivery.objects.get(notification=notification, channel=DeliveryChannel.WEBHOOK)
    first = start_worker()
    assert webhook_server.request_seen.wait(60), "the first worker never made the request"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENDING, 1)

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=20)
    release.set()

    # With acks_late the killed worker's message stays unacked in Redis, and Redis gives it back
    # only after the broker's visibility_timeout (an hour by default), so the test does not wait
    # for that: it runs the beat sweep as beat would once NOTIFICATION_SENDING_TIMEOUT has passed
    # (time moved forward instead of waiting). The sweep takes the stuck row back to pending and
    # enqueues it again; the redelivered original message, whenever it comes, finds the row
    # delivered and sends nothing (the claim), so there is no second delivery either way.
    later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
    assert job_sweep(NotificationDelivery, now=later).enqueued == 1

    start_worker()
    wait_until(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED,
        timeout=60,
        message="the second worker did not deliver",
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.delivered_at is not None
    assert (
        NotificationDelivery.objects.filter(
            notification=notification, channel=DeliveryChannel.WEBHOOK, state=DeliveryState.DELIVERED
        ).count()
        == 1
    )
    # The receiver saw the same delivery id twice (it dedupes on it) and accepted exactly one.
    first_request, second_request = webhook_server.received
    assert first_request.headers["X-Webhook-Id"] == second_request.headers["X-Webhook-Id"] == str(delivery.pk)
    assert verify_signature("whsec_worker_test", second_request.headers, second_request.body)
    assert [status for status in webhook_server.answered if 200 <= status < 300] == [200]

    # The task run once more (a duplicate message) sends nothing.
    from notifications.tasks import deliver_notification

    assert deliver_notification.apply(args=[str(delivery.pk)]).get() == DeliveryState.DELIVERED
    assert len(webhook_server.received) == 2
    assert NotificationDelivery.objects.get(pk=delivery.pk).attempts == 2
