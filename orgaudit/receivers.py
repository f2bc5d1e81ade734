from orgaudit.services import audit_record_create, audit_records_create


def audit_record_on_change(sender, *, change, **kwargs):
    """``organizations.changes.organization_changed``: record it, in the change's transaction."""
    audit_record_create(change=change)


def audit_records_on_changes(sender, *, changes, **kwargs):
    """``organizations.changes.organization_changed_many``: record them all at once, in their transaction."""
    audit_records_create(changes=changes)
