from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import credentials_changed
        from sessions_app.receivers import sessions_end_on_credentials_change

        credentials_changed.connect(
            sessions_end_on_credentials_change, dispatch_uid="sessions_end_on_credentials_change"
        )
