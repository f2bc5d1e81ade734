"""The Celery app: tasks discovered from the apps, late acks, retries with backoff."""

import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class BaseTask(DjangoTask):
    """Default for every task: retry transient failures with exponential backoff and jitter.

    Tasks are enqueued after the surrounding transaction commits with
    ``task.delay_on_commit(...)``, so a worker never sees a row that was rolled back.
    """

    autoretry_for = (ConnectionError, TimeoutError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


app = Celery("config", task_cls=BaseTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
