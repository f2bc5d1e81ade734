from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Second factor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import credentials_changed
        from mfa.receivers import challenges_end_on_credentials_change

        credentials_changed.connect(
            challenges_end_on_credentials_change, dispatch_uid="mfa_challenges_end_on_credentials_change"
        )
