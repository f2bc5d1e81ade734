from orgaudit.services import audit_record_create


def audit_record_on_change(sender, *, change, **kwargs):
    """``organizations.changes.organization_changed``: record it, in the change's transaction."""
    audit_record_create(change=change)
