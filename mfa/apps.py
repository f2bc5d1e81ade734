from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Second factor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.signals import credentials_changed, user_anonymised
        from config.person_cache import person_row_changed
        from mfa.receivers import challenges_end_on_credentials_change, factors_erase_on_anonymise

        credentials_changed.connect(
            challenges_end_on_credentials_change, dispatch_uid="mfa_challenges_end_on_credentials_change"
        )
        user_anonymised.connect(factors_erase_on_anonymise, dispatch_uid="mfa_factors_erase_on_anonymise")
        # Whether a person has a second factor decides which organizations they reach (organizations.access_cache).
        post_save.connect(person_row_changed, sender=TOTPDevice, dispatch_uid="mfa_person_cache_device_saved")
        post_delete.connect(person_row_changed, sender=TOTPDevice, dispatch_uid="mfa_person_cache_device_deleted")
