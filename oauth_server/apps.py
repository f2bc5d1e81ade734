from django.apps import AppConfig


class OAuthServerConfig(AppConfig):
    name = "oauth_server"
    verbose_name = "OAuth authorization server"
    default_auto_field = "django.db.models.BigAutoField"
