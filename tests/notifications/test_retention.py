"""Retention of notifications (config/retention.py): read ones after RETENTION_READ_NOTIFICATIONS_DAYS, the
delivery history after RETENTION_DELIVERIES_DAYS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import DeliveryState, Notification, NotificationDelivery
from notifications.services import deliveries_purge, notifications_purge_read
from tests.factories import NotificationDeliveryFactory, NotificationFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SECOND = timedelta(seconds=1)


def ids(model) -> set:
    return set(model.objects.values_list("pk", flat=True))


class TestReadNotifications:
    def test_only_those_read_more_than_the_age_ago_go(self, settings):
        settings.RETENTION_READ_NOTIFICATIONS_DAYS = 90
        cutoff = NOW - timedelta(days=90)
        past = NotificationFactory(read_at=cutoff - SECOND, created_at=cutoff - timedelta(days=5))
        at_cutoff = NotificationFactory(read_at=cutoff, created_at=cutoff - timedelta(days=5))
        recent = NotificationFactory(read_at=cutoff + SECOND)
        unread_and_old = NotificationFactory(read_at=None, created_at=NOW - timedelta(days=1000))
        assert notifications_purge_read(now=NOW, dry_run=True) == 1
        assert ids(Notification) == {past.pk, at_cutoff.pk, recent.pk, unread_and_old.pk}
        assert notifications_purge_read(now=NOW, batch_size=1) == 1
        assert ids(Notification) == {at_cutoff.pk, recent.pk, unread_and_old.pk}

    def test_their_finished_deliveries_go_with_them(self):
        old = NotificationFactory(read_at=NOW - timedelta(days=100))
        NotificationDeliveryFactory(notification=old, state=DeliveryState.DELIVERED)
        assert notifications_purge_read(now=NOW) == 1
        assert not NotificationDelivery.objects.exists()

    def test_one_with_a_delivery_still_to_send_stays(self):
        old = NotificationFactory(read_at=NOW - timedelta(days=100))
        NotificationDeliveryFactory(notification=old, state=DeliveryState.PENDING)
        assert notifications_purge_read(now=NOW) == 0
        assert ids(Notification) == {old.pk}


class TestDeliveryHistory:
    def test_only_finished_deliveries_older_than_the_age_go(self, settings):
        settings.RETENTION_DELIVERIES_DAYS = 30
        cutoff = NOW - timedelta(days=30)
        delivered = NotificationDeliveryFactory(state=DeliveryState.DELIVERED, updated_at=cutoff - SECOND)
        failed = NotificationDeliveryFactory(state=DeliveryState.FAILED, updated_at=cutoff - SECOND)
        at_cutoff = NotificationDeliveryFactory(state=DeliveryState.DELIVERED, updated_at=cutoff)
        recent = NotificationDeliveryFactory(state=DeliveryState.FAILED, updated_at=cutoff + SECOND)
        pending = NotificationDeliveryFactory(state=DeliveryState.PENDING, updated_at=cutoff - timedelta(days=9))
        sending = NotificationDeliveryFactory(state=DeliveryState.SENDING, updated_at=cutoff - timedelta(days=9))
        assert deliveries_purge(now=NOW, dry_run=True) == 2
        assert deliveries_purge(now=NOW, batch_size=1) == 2
        assert ids(NotificationDelivery) == {at_cutoff.pk, recent.pk, pending.pk, sending.pk}
        # The notifications stay: only their delivery history goes.
        assert {delivered.notification_id, failed.notification_id} <= ids(Notification)
