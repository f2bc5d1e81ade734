from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from config.person_cache import user_row_changed

        user_model = get_user_model()
        post_save.connect(user_row_changed, sender=user_model, dispatch_uid="accounts_person_cache_user_saved")
        post_delete.connect(user_row_changed, sender=user_model, dispatch_uid="accounts_person_cache_user_deleted")
