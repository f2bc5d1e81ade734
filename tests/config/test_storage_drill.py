"""The multi-host drill of the shared bucket, on this machine: two web processes (gunicorn) and two Celery workers
(on Redis), each with a local media folder of its own that must stay empty, all with ``STORAGE_BACKEND=s3``
against moto's S3 server (a stand-in, tests/fixtures/storage.py) and the test database.

Which worker runs what is decided, not left to chance: web A sends its tasks to the queue only worker B
consumes, web B to worker A's (tests/config/storage_drill_settings.py). So an import uploaded through web A can
only be read by worker B, from the bucket, and an export built by worker A can only reach web B through it; the
download is the 302 to a presigned link, followed to the bucket, whose bytes are the object's.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from devtools.processes import (
    UNLIMITED_CLASSES,
    AppServer,
    celery_worker_start,
    database_url,
    production_env,
    stop_process,
    wait_until,
)
from organizations.services import organization_create
from tasks_app.models import Task
from tests.factories import UserFactory
from tests.faults.conftest import PASSWORD, usable_in_production
from tests.fixtures.storage import bucket_create, s3_environment
from tests.imports.conftest import TASK_HEADER, csv_bytes

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER_OPTIONS = ("-c", "1", "--pool", "solo", "-l", "INFO", "--without-heartbeat", "--without-mingle")
TASKS = ("imports.tasks.run_import", "reports.tasks.build_report_export")
HTTPS = {"X-Forwarded-Proto": "https"}  # production settings redirect plain HTTP; the TLS proxy says https


def empty(folder: Path) -> bool:
    return not any(folder.rglob("*"))


def poll(web: AppServer, path: str, token: str, *, until_state: tuple[str, ...], timeout: float = 30) -> dict:
    def done():
        body = requests.get(f"{web.url}{path}", headers={**HTTPS, "Authorization": f"Bearer {token}"}, timeout=10)
        assert body.status_code == 200, body.text
        return body.json() if body.json()["state"] in until_state else None

    return wait_until(done, timeout=timeout, message=f"{path} did not end", interval=0.2)


@pytest.fixture
def hosts(moto_server, tmp_path):
    """Web A, web B, worker A, worker B on one bucket; each web's tasks go to the other letter's worker."""
    bucket = bucket_create(moto_server.url)
    queues = {name: f"drill-{name}-{uuid.uuid4().hex[:8]}" for name in "ab"}
    common = production_env(
        DJANGO_SETTINGS_MODULE="tests.config.storage_drill_settings",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        **s3_environment(bucket),
        **UNLIMITED_CLASSES,
    )
    media = {}
    for role in ("web-a", "web-b", "worker-a", "worker-b"):
        media[role] = tmp_path / f"{role}-media"
        media[role].mkdir()
    workers, logs = {}, {}
    webs = {
        "a": AppServer({**common, "MEDIA_ROOT": str(media["web-a"]), "DRILL_TASK_QUEUE": queues["b"]}, workers=1),
        "b": AppServer({**common, "MEDIA_ROOT": str(media["web-b"]), "DRILL_TASK_QUEUE": queues["a"]}, workers=1),
    }
    try:
        for name in "ab":
            logs[name] = tmp_path / f"worker-{name}.log"
            workers[name] = celery_worker_start(
                queue=queues[name],
                # INFO: the worker logs each task it receives, which tells which worker ran what.
                env={
                    **common,
                    "MEDIA_ROOT": str(media[f"worker-{name}"]),
                    "DRILL_TASK_QUEUE": queues[name],
                    "LOG_LEVEL": "INFO",
                },
                options=WORKER_OPTIONS,
                log=logs[name],
            )
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda web: web.start(), webs.values()))
        yield {"bucket": bucket, "web": webs, "worker_log": logs, "media": media}
    finally:
        for web in webs.values():
            web.stop()
        for process in workers.values():
            stop_process(process, timeout=20)


def test_an_upload_through_one_host_is_imported_on_another_and_an_export_downloaded_elsewhere(hosts):
    web, bucket = hosts["web"], hosts["bucket"]
    owner = usable_in_production(UserFactory(username="storage_owner", email="owner@storage.example"))
    organization = organization_create(name="Two hosts", created_by=owner)
    login = requests.post(
        f"{web['a'].url}/api/v1/auth/login",
        json={"email": owner.email, "password": PASSWORD},
        headers=HTTPS,
        timeout=30,
    )
    assert login.status_code == 200, login.text
    token = login.json()["access"]
    bearer = {**HTTPS, "Authorization": f"Bearer {token}"}

    # Uploaded through web A (bigger than Django keeps in memory: it spills to web A's temporary file, then the
    # bucket); worker B, which has never seen web A's disk, reads it from the bucket and imports it.
    description = "d" * 4000
    content = csv_bytes(TASK_HEADER, *[f"Task {i},{description},todo,high,,2030-01-01" for i in range(700)])
    uploaded = requests.post(
        f"{web['a'].url}/api/v1/organizations/{organization.pk}/imports",
        files={"file": ("tasks.csv", content, "text/csv")},
        data={"kind": "tasks"},
        headers=bearer,
        timeout=30,
    )
    assert uploaded.status_code == 202, uploaded.text
    job = poll(web["b"], f"/api/v1/imports/{uploaded.json()['id']}", token, until_state=("succeeded", "failed"))
    assert (job["state"], job["created"], job["failed"]) == ("succeeded", 700, 0), job
    assert Task.objects.filter(organization=organization).count() == 700
    key = f"imports/{organization.pk}/{job['id']}.csv"
    assert bucket.read(key) == content

    # Requested through web B, built by worker A into the bucket, downloaded through web B and web A alike.
    requested = requests.post(
        f"{web['b'].url}/api/v1/reports/{organization.pk}/exports", json={"format": "csv"}, headers=bearer, timeout=30
    )
    assert requested.status_code == 202, requested.text
    export = poll(
        web["b"], f"/api/v1/reports/exports/{requested.json()['id']}", token, until_state=("succeeded", "failed")
    )
    assert export["state"] == "succeeded", export
    export_key = f"reports/exports/{organization.pk}/{export['id']}.csv"
    built = bucket.read(export_key)
    assert b"700" in built  # the report counts the imported tasks

    signed = export["download_url"].split("://", 1)[1].split("/", 1)[1]  # the link's path and query
    redirects = [
        requests.get(f"{web['b'].url}/{signed}", headers=HTTPS, allow_redirects=False, timeout=30),
        requests.get(
            f"{web['a'].url}/api/v1/reports/exports/{export['id']}/download",
            headers=bearer,
            timeout=30,
            allow_redirects=False,
        ),
    ]
    for answer in redirects:
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert location.startswith(f"{bucket.endpoint}/{bucket.name}/{export_key}?")
        downloaded = requests.get(location, timeout=30)
        assert downloaded.status_code == 200
        assert downloaded.headers["Content-Disposition"].startswith('attachment; filename="report-')
        assert downloaded.content == built

    # The object gone from the bucket: the download answers the envelope's 404, not the bucket's error.
    bucket.delete(export_key)
    gone = requests.get(f"{web['b'].url}/{signed}", headers=HTTPS, allow_redirects=False, timeout=30)
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["code"] == "not_found"

    # Who ran what: each task in the log of the one worker it was routed to, and only there.
    logs = {name: path.read_text() for name, path in hosts["worker_log"].items()}
    ran = {name: {task for task in TASKS if f"{task}[" in log} for name, log in logs.items()}
    assert ran == {"a": {"reports.tasks.build_report_export"}, "b": {"imports.tasks.run_import"}}, logs
    # No process kept a file of its own.
    assert {role: empty(folder) for role, folder in hosts["media"].items()} == dict.fromkeys(hosts["media"], True)
