"""Audit events are deleted RETENTION_AUDIT_DAYS after they happened, and only then."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_purge
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def test_only_events_older_than_the_age_go(settings):
    settings.RETENTION_AUDIT_DAYS = 400
    now = timezone.now()
    cutoff = now - timedelta(days=400)
    AuditEventFactory.create_batch(3, created_at=cutoff - timedelta(seconds=1))
    at_cutoff = AuditEventFactory(created_at=cutoff)
    recent = AuditEventFactory(created_at=now)
    assert audit_purge(now=now, dry_run=True) == 3
    assert AuditEvent.objects.count() == 5
    assert audit_purge(now=now, batch_size=2) == 3
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {at_cutoff.pk, recent.pk}
