from django.apps import AppConfig


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live updates"

    def ready(self):
        from imports.signals import import_progressed
        from live import publish
        from notifications.signals import notifications_created
        from organizations.changes import organization_changed

        organization_changed.connect(publish.stream_on_change, dispatch_uid="live_stream_on_change")
        notifications_created.connect(publish.stream_on_notifications, dispatch_uid="live_stream_on_notifications")
        import_progressed.connect(publish.stream_on_import_progress, dispatch_uid="live_stream_on_import_progress")
