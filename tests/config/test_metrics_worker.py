"""The cluster's figures come from real Celery workers on Redis: a worker process (another host, as far as it
knows) runs a task, and the /metrics of this process, a web process that ran none of it, shows its outcome, its
duration and the worker serving its queue (config/metrics.py: counted in the broker's Redis, read at scrape)."""

import pytest

from devtools.processes import wait_until
from reports.models import ExportState, ReportExport
from tests.config.test_metrics import TOKEN, samples, value
from tests.reports.conftest import RANGE

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUILD = "reports.tasks.build_report_export"


def test_a_workers_task_and_heartbeat_show_in_a_web_processs_metrics(org, client_as, client, celery_worker, settings):
    from config.celery import app

    settings.METRICS_TOKEN = TOKEN

    def scrape():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        return samples(response.content.decode())

    queue = app.conf.task_default_queue
    before = scrape()
    celery_worker(MEDIA_ROOT=settings.MEDIA_ROOT)()
    body = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv", **RANGE}).json()
    wait_until(
        lambda: ReportExport.objects.get(pk=body["id"]).state == ExportState.SUCCEEDED,
        timeout=60,
        message="the worker never built the export",
    )
    wait_until(
        lambda: (
            value(scrape(), "workspace_celery_tasks_total", task=BUILD, outcome="success")
            > value(before, "workspace_celery_tasks_total", task=BUILD, outcome="success")
        ),
        timeout=10,
        message="the worker's task never showed in /metrics",
    )
    after = scrape()
    assert value(after, "workspace_celery_task_duration_seconds_count", task=BUILD) > value(
        before, "workspace_celery_task_duration_seconds_count", task=BUILD
    )
    assert value(after, "workspace_celery_workers", queue=queue) == 1
    assert value(after, "workspace_metrics_redis_up") == 1
