"""A real Celery worker on Redis builds an export requested through the API and sends the weekly email."""

import time

import pytest
from django.conf import settings

from devtools.processes import wait_until
from reports import tasks
from reports.models import ExportState, ReportExport, ReportSettings
from tests.reports.conftest import RANGE

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_export_is_built_by_a_worker_and_downloaded(org, client_as, make_task, celery_worker):
    celery_worker(MEDIA_ROOT=settings.MEDIA_ROOT)()
    make_task(created="2030-01-02 10:00")
    client = client_as("member")
    body = client.post(f"/api/v1/reports/{org.id}/exports", {"format": "html", **RANGE}).json()
    assert body["state"] == "pending"
    wait_until(
        lambda: ReportExport.objects.get(pk=body["id"]).state in (ExportState.SUCCEEDED, ExportState.FAILED),
        timeout=60,
        message="the worker never finished the export",
    )
    detail = client.get(f"/api/v1/reports/exports/{body['id']}").json()
    assert detail["state"] == "succeeded", detail
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    assert b"<svg" in b"".join(download.streaming_content)


def test_the_weekly_email_is_sent_by_a_worker_once(org, client_as, celery_worker):
    celery_worker()()
    client_as("admin").patch(f"/api/v1/reports/{org.id}/settings", {"weekly_email": True})
    # The same week's send delivered twice (beat twice, or a message redelivered).
    for _ in range(2):
        tasks.send_weekly_report.delay(str(org.id), "2030-01-07")
    wait_until(
        lambda: ReportSettings.objects.get(organization=org.organization).weekly_email_last_week is not None,
        timeout=60,
        message="the worker never sent the weekly email",
    )
    time.sleep(2)  # room for the duplicate, right behind it on the same single worker
    messages = [path.read_text() for path in celery_worker.outbox.iterdir()]
    subjects = [line for text in messages for line in text.splitlines() if line.startswith("Subject:")]
    assert sorted(subjects) == ["Subject: Acme: weekly report for 2030-W02"] * 2  # the owner and the admin
