from django.apps import AppConfig


class SsoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sso"
    verbose_name = "Single sign-on"

    def ready(self):
        from accounts.signals import user_anonymised
        from sso.receivers import identities_erase_on_anonymise

        user_anonymised.connect(identities_erase_on_anonymise, dispatch_uid="sso_identities_erase_on_anonymise")
