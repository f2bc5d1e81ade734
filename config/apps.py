from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Cross-cutting pieces (API conventions, health, operator commands) that belong to no domain app."""

    name = "config"
    label = "config"
    verbose_name = "Project"

    def ready(self):
        # The figures of config/metrics.py: each database connection counts its queries, and Celery's signals
        # record task outcomes and workers' heartbeats, in web processes, workers and commands alike.
        from config import metrics

        metrics.connect_signals()
