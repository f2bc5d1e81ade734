"""Delivering notifications: email, retries with backoff, giving up, at most once, the beat sweep."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from config.backoff import retry_delay
from config.jobs import SweepResult, job_sweep
from config.tasks import sweep_jobs
from notifications import channels, services
from notifications.models import DeliveryChannel, DeliveryState, NotificationDelivery
from notifications.services import notification_create
from notifications.tasks import deliver_notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """Notify someone by email without running the delivery: returns the pending delivery."""

    def make(**user_fields):
        user = UserFactory(**user_fields)
        with django_capture_on_commit_callbacks(execute=False):
            notification_create(
                recipients=[user], kind="assigned", title="Fix the roof", body="Before winter", url="/tasks/7"
            )
        return NotificationDelivery.objects.get(notification__recipient=user, channel=DeliveryChannel.EMAIL)

    return make


def test_email_is_rendered_from_the_templates(django_capture_on_commit_callbacks):
    ana, actor = UserFactory(full_name="Ana Lima"), UserFactory(full_name="Bo Diaz", username="bo")
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(
            recipients=[ana], actor=actor, kind="mentioned", title="Bo mentioned you", body="Look @ana", url="/tasks/7"
        )
    (message,) = mail.outbox
    assert message.to == [ana.email]
    assert message.subject == "Bo mentioned you"
    assert "Hello Ana Lima" in message.body
    assert "Look @ana" in message.body
    assert "By Bo Diaz (@bo)" in message.body
    assert "http://localhost:3000/tasks/7" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://localhost:3000/tasks/7"' in html
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.DELIVERED, 1, "")
    assert delivery.delivered_at is not None


def test_email_html_escapes_user_text(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipients=[UserFactory()], kind="commented", title="<b>t</b>", body="<script>x</script>")
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_transient_failure_is_retried_then_delivered(queued, monkeypatch):
    delivery = queued()
    real_send = channels.emails.send
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        real_send(**kwargs)

    monkeypatch.setattr(channels.emails, "send", flaky)
    deliver_notification.delay(str(delivery.pk))  # eager: Celery runs the retry at once
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.DELIVERED, 2, "")
    assert len(mail.outbox) == 1


def test_gives_up_after_the_maximum_attempts_and_records_why(queued, monkeypatch, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    delivery = queued()
    outcomes = []
    real_attempt = services.notification_delivery_attempt

    def recording(**kwargs):
        outcomes.append(real_attempt(**kwargs))
        return outcomes[-1]

    def down(**kwargs):
        raise smtplib.SMTPConnectError(421, "mail server busy")

    monkeypatch.setattr(channels.emails, "send", down)
    monkeypatch.setattr(services, "notification_delivery_attempt", recording)
    deliver_notification.delay(str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 3
    assert delivery.last_error.startswith("Gave up after 3 attempts:")
    assert "mail server busy" in delivery.last_error
    # Each failed attempt but the last asked for a retry, later each time (backoff).
    assert [o.state for o in outcomes] == ["pending", "pending", "failed"]
    assert all(o.retry_in > 0 for o in outcomes[:2])
    # A failed delivery is not tried again by a stray run.
    deliver_notification.delay(str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.attempts == 3


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempts, (low, high) in {1: (5, 10), 2: (10, 20), 3: (20, 40), 4: (40, 80), 9: (50, 100)}.items():
        delays = {retry_delay(attempts=attempts, base=10, maximum=100) for _ in range(50)}
        assert all(low <= d <= high for d in delays), (attempts, delays)
        assert len(delays) > 1  # jitter
    assert retry_delay(attempts=1, base=10, maximum=100, retry_after=60) == 60  # the receiver's Retry-After
    assert retry_delay(attempts=1, base=10, maximum=100, retry_after=10_000) == 100  # but bounded


def test_a_retry_waits_the_backoff_of_the_settings(queued, monkeypatch, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 100
    delivery = queued()

    def down(**kwargs):
        raise smtplib.SMTPConnectError(421, "mail server busy")

    monkeypatch.setattr(channels.emails, "send", down)
    before = timezone.now()
    outcome = services.notification_delivery_attempt(delivery_id=delivery.pk)
    assert outcome.state == DeliveryState.PENDING
    assert 5 <= outcome.retry_in <= 10
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert before + timedelta(seconds=5) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert "mail server busy" in delivery.last_error


def test_the_task_runs_twice_the_email_goes_once(queued):
    delivery = queued()
    assert deliver_notification.apply(args=[str(delivery.pk)]).get() == DeliveryState.DELIVERED
    assert deliver_notification.apply(args=[str(delivery.pk)]).get() == DeliveryState.DELIVERED
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert len(mail.outbox) == 1


def test_a_run_while_another_is_sending_does_nothing(queued):
    delivery = queued()
    now = timezone.now()
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=now, heartbeat_at=now
    )
    assert deliver_notification.apply(args=[str(delivery.pk)]).get() == DeliveryState.SENDING
    assert mail.outbox == []


def test_a_run_takes_over_an_attempt_whose_worker_died(queued, settings):
    delivery = queued()
    long_ago = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=long_ago, heartbeat_at=long_ago, attempts=1
    )
    assert deliver_notification.apply(args=[str(delivery.pk)]).get() == DeliveryState.DELIVERED
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert len(mail.outbox) == 1


def test_unknown_delivery_id_is_ignored():
    assert deliver_notification.apply(args=["0b6f2c3e-1f7e-4d69-9b1a-2a2b7d0b8c11"]).get() == "missing"


def test_email_turned_off_before_delivery_is_not_sent(queued):
    delivery = queued()
    type(delivery.notification.recipient).objects.filter(pk=delivery.notification.recipient_id).update(
        notify_email=False
    )
    deliver_notification.delay(str(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 1
    assert "turned email notifications off" in delivery.last_error
    assert mail.outbox == []


class TestSweep:
    def test_re_enqueues_pending_left_too_long(self, queued, settings):
        delivery = queued()  # its message was lost: never enqueued
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=settings.NOTIFICATION_PENDING_GRACE_SECONDS + 1)
        )
        assert sweep_jobs.delay().get()["notifications.NotificationDelivery"] == 1
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.DELIVERED
        assert len(mail.outbox) == 1

    def test_leaves_pending_that_are_not_overdue(self, queued):
        queued()  # just queued, or waiting for its retry countdown
        assert job_sweep(NotificationDelivery) == SweepResult()
        assert mail.outbox == []

    def test_takes_back_a_delivery_stuck_sending(self, queued, settings):
        delivery = queued()
        now = timezone.now()
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SENDING, claimed_at=now, heartbeat_at=now, attempts=1
        )
        assert job_sweep(NotificationDelivery) == SweepResult()  # a live attempt is left alone
        later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
        assert job_sweep(NotificationDelivery, now=later) == SweepResult(requeued=1, enqueued=1)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)
        assert len(mail.outbox) == 1

    def test_a_lost_last_attempt_ends_failed(self, queued, settings):
        delivery = queued()
        long_ago = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT + 1)
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SENDING,
            claimed_at=long_ago,
            heartbeat_at=long_ago,
            attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        assert job_sweep(NotificationDelivery) == SweepResult(given_up=1)
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.FAILED
        assert "worker was lost" in delivery.last_error
        assert mail.outbox == []

    def test_is_in_the_beat_schedule(self, settings):
        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "config.tasks.sweep_jobs" in tasks


def test_failed_deliveries_can_be_retried_by_staff(queued, monkeypatch, django_capture_on_commit_callbacks):
    delivery = queued()
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, attempts=5, last_error="Gave up"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notification_delivery_retry(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    assert services.notification_delivery_retry(delivery_ids=[delivery.pk]) == 0  # only failed ones
