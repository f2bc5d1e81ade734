from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Cross-cutting pieces (API conventions, health, operator commands) that belong to no domain app."""

    name = "config"
    label = "config"
    verbose_name = "Project"
