"""``manage.py queues`` and the queue figures of /metrics, against the real Redis broker (what Celery publishes
there is what config/queues.py reads), and what they say when tasks run eagerly."""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from config.celery import app
from config.tasks import sweep_jobs
from tests.config.test_metrics import TOKEN, samples, value


def run_queues(*args) -> str:
    out = StringIO()
    call_command("queues", *args, stdout=out)
    return out.getvalue()


def test_with_eager_celery_it_says_there_are_no_queues():
    assert "eagerly" in run_queues()
    assert json.loads(run_queues("--json")) == {"eager": True, "queues": [], "unacked": 0}


@pytest.fixture
def private_queue(monkeypatch):
    """A queue of the test's own on the real broker, published to for real (not eagerly); the test's Redis
    database is emptied after it (tests/conftest.py)."""
    monkeypatch.setattr(app.conf, "task_always_eager", False)
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.mark.redis
def test_it_prints_the_depth_and_the_oldest_message_of_each_queue(private_queue):
    first = sweep_jobs.apply_async(queue=private_queue)
    sweep_jobs.apply_async(queue=private_queue)
    sweep_jobs.apply_async(queue=private_queue, priority=6)  # kombu keeps priorities in lists of their own

    document = json.loads(run_queues("--queue", private_queue, "--json"))
    by_name = {queue["name"]: queue for queue in document["queues"]}
    assert {"celery", "webhooks", private_queue} <= set(by_name)
    queue = by_name[private_queue]
    assert queue["depth"] == 3
    with app.connection_for_read() as connection:  # as kombu itself counts
        assert connection.default_channel._size(private_queue) == 3
    assert queue["oldest"]["task"] == "config.tasks.sweep_jobs"
    assert queue["oldest"]["id"] == first.id
    assert 0 <= queue["oldest"]["age_seconds"] < 60
    assert "password" not in document["broker"]

    text = run_queues("--queue", private_queue)
    (line,) = [line for line in text.splitlines() if line.startswith(private_queue)]
    assert line.split()[1] == "3"
    assert f"config.tasks.sweep_jobs [{first.id}] waiting" in line


@pytest.mark.redis
def test_metrics_show_the_depth_and_age_of_each_queue(private_queue, client, settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setattr(app.conf, "task_default_queue", private_queue)
    sweep_jobs.apply_async(queue=private_queue)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    found = samples(response.content.decode())
    assert value(found, "workspace_metrics_redis_up") == 1
    assert value(found, "workspace_celery_queue_length", queue=private_queue) == 1
    assert value(found, "workspace_celery_queue_length", queue="webhooks") == 0
    assert value(found, "workspace_celery_queue_oldest_message_age_seconds", queue=private_queue) >= 0
    assert value(found, "workspace_celery_workers", queue=private_queue) == 0  # nobody consumes it


@pytest.mark.redis
def test_workers_heartbeats_count_per_queue_they_consume(client, settings, monkeypatch, private_queue):
    from config import metrics

    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setattr(app.conf, "task_default_queue", private_queue)
    metrics.WorkerHeartbeat("worker-a@host", [private_queue, "webhooks"]).beat()
    metrics.WorkerHeartbeat("worker-b@host", [private_queue]).beat()
    found = samples(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode())
    assert value(found, "workspace_celery_workers", queue=private_queue) == 2
    assert value(found, "workspace_celery_workers", queue="webhooks") == 1
