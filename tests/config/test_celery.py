import pytest
from celery import Task
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
    assert app.Task.max_retries
    assert ConnectionError in app.Task.autoretry_for
    assert hasattr(app.Task, "delay_on_commit")


@pytest.mark.parametrize(("retries", "step"), [(0, 1), (3, 8), (20, 600)])
def test_automatic_retries_wait_by_the_one_backoff_policy(monkeypatch, retries, step):
    """Exponential with jitter, capped (config.backoff.retry_delay): half the step fixed, half random."""
    waits = []
    monkeypatch.setattr(Task, "retry", lambda self, *args, countdown=None, eta=None, **kwargs: waits.append(countdown))

    @app.task(bind=True, shared=False, name=f"tests.flaky_{retries}")
    def flaky(self):
        pass

    for _ in range(50):
        flaky.push_request(retries=retries)
        try:
            flaky.retry(exc=ConnectionError("broker gone"))
        finally:
            flaky.pop_request()
    assert all(step / 2 <= wait <= step for wait in waits)
    assert len(set(waits)) > 1  # jittered


def test_an_explicit_wait_is_kept(monkeypatch):
    waits = []
    monkeypatch.setattr(Task, "retry", lambda self, *args, countdown=None, eta=None, **kwargs: waits.append(countdown))

    @app.task(bind=True, shared=False, name="tests.later")
    def later(self):
        pass

    later.retry(countdown=42)
    assert waits == [42]


def test_embedded_default_runs_tasks_eagerly():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


@pytest.mark.django_db
def test_an_eager_task_on_the_embedded_default_logs_no_broker_warning(caplog, settings):
    """Celery 5.7 takes a producer from kombu's pool even for an eager task; on a broker URL without a host
    (a bare "memory://") kombu warned "No hostname was supplied" on each one, through `make run`'s output."""
    import logging
    import uuid

    from notifications.tasks import deliver_notification

    if settings.REDIS_URL:
        pytest.skip("the embedded default's broker only (REDIS_URL is set)")
    assert app.conf.broker_url == "memory://localhost/"
    with caplog.at_level(logging.WARNING):
        deliver_notification.delay(str(uuid.uuid4()))
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("kombu", "celery"))] == []
