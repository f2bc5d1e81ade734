from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Second factor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import credentials_changed, user_anonymised
        from mfa.receivers import challenges_end_on_credentials_change, factors_erase_on_anonymise

        credentials_changed.connect(
            challenges_end_on_credentials_change, dispatch_uid="mfa_challenges_end_on_credentials_change"
        )
        user_anonymised.connect(factors_erase_on_anonymise, dispatch_uid="mfa_factors_erase_on_anonymise")
