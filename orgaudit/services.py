"""The organization audit log's writes: one record per change, and the retention purge. Nothing else writes
or deletes a record (the admin and the API only read)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from config.request_context import request_actor
from config.retention import DEFAULT_BATCH_SIZE, delete_in_batches
from config.text import truncate
from organizations.changes import OrganizationChange
from orgaudit.models import OrganizationAuditRecord

# Where a target's human label is read, first match wins: a task's title, an OAuth grant's application,
# a token's or an organization's name, an import's file name, an invitation's or a member's email, a
# comment's task. Anything else reads as its ``str()``.
LABEL_PATHS = ("title", "application.name", "name", "original_name", "email", "user.email", "task.title")


def _attribute(obj, path: str):
    for name in path.split("."):
        try:
            obj = getattr(obj, name, None)
        except ObjectDoesNotExist:
            return None
        if obj is None:
            return None
    return obj


def target_label(target) -> str:
    if target is None:
        return ""
    for path in LABEL_PATHS:
        value = _attribute(target, path)
        if isinstance(value, str) and value:
            return truncate(value, 255)
    return truncate(str(target), 255)


def audit_record_create(*, change: OrganizationChange) -> OrganizationAuditRecord:
    """Record ``change``, in the caller's transaction, with who acted as the request context tells it.

    The actor is the person the service names; when it names none, the person signed in to the request
    that made the change (staff in the admin, where services are called as an operator). A change with no
    request is the system's (a worker), still naming the person the service gives, if any.
    """
    record = _record(change, request_actor())
    record.save()
    return record


def audit_records_create(*, changes: list[OrganizationChange]) -> list[OrganizationAuditRecord]:
    """``audit_record_create`` for many changes at once (a bulk change): one INSERT for all."""
    acting = request_actor()
    return OrganizationAuditRecord.objects.bulk_create([_record(change, acting) for change in changes])


def _record(change: OrganizationChange, acting) -> OrganizationAuditRecord:
    actor = change.actor if change.actor is not None else acting.user
    return OrganizationAuditRecord(
        organization_id=change.organization_id,
        occurred_at=change.occurred_at,
        action=change.action,
        actor=actor if getattr(actor, "pk", None) is not None else None,
        actor_kind=acting.kind,
        credential_id=acting.credential_id,
        credential_label=acting.credential_label,
        ip=acting.ip,
        request_id=acting.request_id,
        target_type=change.target_type,
        target_id=change.target_id,
        target_label=target_label(change.target),
        before=change.before,
        after=change.after,
        change_id=change.id,
    )


def organization_audit_purge(*, now=None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> int:
    """Retention (``config/retention.py``): delete records older than ``RETENTION_AUDIT_DAYS``, in batches;
    with its organization's purge, the only way a record is ever deleted. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_AUDIT_DAYS)
    return delete_in_batches(
        OrganizationAuditRecord.objects.filter(occurred_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run
    )
