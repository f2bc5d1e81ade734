"""The audit log: append-only records of security-relevant events, written by any app."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from config.request_meta import client_ip, user_agent
from config.retention import DEFAULT_BATCH_SIZE, delete_in_batches
from config.text import truncate

logger = logging.getLogger("security")


def audit_record(
    *, kind: str, request=None, user=None, actor=None, session_id=None, identifier: str = "", data: dict | None = None
) -> AuditEvent:
    event = AuditEvent.objects.create(
        kind=kind,
        user=user,
        actor=actor,
        session_id=session_id,
        identifier=truncate(identifier, 254),
        data=data or {},
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
    )
    logger.info(
        "security event %s user=%s session=%s ip=%s",
        kind,
        getattr(user, "pk", None),
        session_id,
        event.ip,
    )
    return event


def audit_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete audit events older than ``RETENTION_AUDIT_DAYS``, in
    batches; the only way an event is ever deleted. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_AUDIT_DAYS)
    return delete_in_batches(AuditEvent.objects.filter(created_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run)
