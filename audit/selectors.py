"""Reads of the audit log."""

from django.db.models import QuerySet

from audit.models import AuditEvent


def audit_event_list(*, user) -> QuerySet[AuditEvent]:
    """The security events of one person's account, newest first, as they see them."""
    return AuditEvent.objects.filter(user=user).select_related("actor").order_by("-created_at", "-id")
