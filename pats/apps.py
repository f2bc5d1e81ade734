from django.apps import AppConfig


class PatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pats"
    verbose_name = "Personal access tokens"

    def ready(self):
        from accounts.signals import credentials_changed, user_anonymised
        from pats.receivers import tokens_revoke_on_anonymise, tokens_revoke_on_credentials_change

        user_anonymised.connect(tokens_revoke_on_anonymise, dispatch_uid="pats_tokens_revoke_on_anonymise")
        credentials_changed.connect(
            tokens_revoke_on_credentials_change, dispatch_uid="pats_tokens_revoke_on_credentials_change"
        )
