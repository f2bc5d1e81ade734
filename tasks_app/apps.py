from django.apps import AppConfig


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.changes import organization_changed
        from tasks_app.receivers import reindex_on_language_change

        organization_changed.connect(reindex_on_language_change, dispatch_uid="tasks_reindex_on_language_change")
