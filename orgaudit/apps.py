from django.apps import AppConfig


class OrgauditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgaudit"
    verbose_name = "Organization audit log"

    def ready(self):
        from organizations.changes import organization_changed, organization_changed_many
        from orgaudit.receivers import audit_record_on_change, audit_records_on_changes

        organization_changed.connect(audit_record_on_change, dispatch_uid="orgaudit_record_on_change")
        organization_changed_many.connect(audit_records_on_changes, dispatch_uid="orgaudit_records_on_changes")
