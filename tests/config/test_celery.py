from django.conf import settings

from config.celery import BaseTask, app


def test_celery_is_configured_for_reliability():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert isinstance(app.conf.beat_schedule, dict)


def test_tasks_retry_with_backoff_and_can_enqueue_on_commit():
    assert issubclass(app.Task, BaseTask)
    assert app.Task.retry_backoff is True
    assert app.Task.retry_jitter is True
    assert app.Task.max_retries
    assert hasattr(app.Task, "delay_on_commit")


def test_embedded_default_runs_tasks_eagerly():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
