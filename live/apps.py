from django.apps import AppConfig


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live updates"

    def ready(self):
        from imports.signals import import_progressed
        from live import publish
        from notifications.signals import notifications_created
        from organizations.changes import organization_changed, organization_changed_many

        organization_changed.connect(publish.stream_on_change, dispatch_uid="live_stream_on_change")
        organization_changed_many.connect(publish.stream_on_changes, dispatch_uid="live_stream_on_changes")
        notifications_created.connect(publish.stream_on_notifications, dispatch_uid="live_stream_on_notifications")
        import_progressed.connect(publish.stream_on_import_progress, dispatch_uid="live_stream_on_import_progress")
