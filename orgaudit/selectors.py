from django.db.models import QuerySet

from orgaudit.models import OrganizationAuditRecord


def audit_record_list(
    *,
    organization,
    actor_id=None,
    actions: list[str] | None = None,
    target_type: str = "",
    target_id: str = "",
    occurred_from=None,
    occurred_before=None,
) -> QuerySet[OrganizationAuditRecord]:
    """The organization's records, newest first, filtered: ``occurred_from`` inclusive, ``occurred_before``
    exclusive (a date's end is the next day's start, worked out by the caller)."""
    records = OrganizationAuditRecord.objects.filter(organization=organization).select_related("actor")
    if actor_id is not None:
        records = records.filter(actor_id=actor_id)
    if actions:
        records = records.filter(action__in=actions)
    if target_type:
        records = records.filter(target_type=target_type)
    if target_id:
        records = records.filter(target_id=target_id)
    if occurred_from is not None:
        records = records.filter(occurred_at__gte=occurred_from)
    if occurred_before is not None:
        records = records.filter(occurred_at__lt=occurred_before)
    return records.order_by("-occurred_at", "-id")
