from django.apps import AppConfig


class OrgWebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "org_webhooks"
    verbose_name = "Organization webhooks"

    def ready(self):
        from org_webhooks.receivers import deliveries_create_on_change, deliveries_create_on_changes
        from organizations.changes import organization_changed, organization_changed_many

        organization_changed.connect(deliveries_create_on_change, dispatch_uid="org_webhooks_deliveries_on_change")
        organization_changed_many.connect(
            deliveries_create_on_changes, dispatch_uid="org_webhooks_deliveries_on_changes"
        )
