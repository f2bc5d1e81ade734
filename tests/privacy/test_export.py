"""POST /users/me/export -> a worker builds the JSON -> GET /users/me/export -> GET .../download."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from privacy import services
from privacy.models import DataExport, DataExportState
from tasks_app.services import comment_create, task_create
from tests.factories import DataExportFactory, NotificationFactory, TaskFactory
from tests.organizations.assertions import assert_error
from tests.privacy.conftest import DOWNLOAD, EXPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST an export, let its transaction commit (the eager worker builds it), answer its state then."""

    def post(client):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(EXPORT)
        if response.status_code != 202:
            return response
        assert len(callbacks) == 1  # one build enqueued, on commit
        return client.get(EXPORT)

    return post


def download_json(client) -> dict:
    response = client.get(DOWNLOAD)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    return json.loads(b"".join(response.streaming_content))


def test_an_export_is_built_by_the_worker_and_downloaded_by_its_owner_only(org, client_for, start):
    person = org.member
    task = task_create(organization=org.organization, created_by=person, title="Written by me", assignee=org.admin)
    assigned = task_create(organization=org.organization, created_by=org.admin, title="For me", assignee=person)
    comment_create(task=assigned, author=person, body="On it")
    NotificationFactory(recipient=person, title="Hello you")
    TaskFactory(created_by=person, title="In an organization I left")  # not theirs to read any more
    client = client_for(person)

    response = start(client)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "succeeded"
    assert body["api_download_url"] == "http://testserver/api/v1/users/me/export/download"
    assert body["download_url"].startswith("http://testserver/api/v1/users/me/export/signed-download?token=")
    assert body["error"] == ""
    assert body["finished_at"]
    assert body["expires_at"]
    assert AuditEvent.objects.filter(
        user=person, kind=AuditEvent.Kind.DATA_EXPORT_REQUESTED, data={"export_id": body["id"]}
    ).exists()

    data = download_json(client)
    assert data["format"] == "workspace-personal-data"
    assert data["profile"]["email"] == person.email
    assert data["profile"]["username"] == person.username
    assert person.password not in json.dumps(data)  # the hash
    assert "webhook_secret" not in data["profile"]
    assert [(m["organization"]["id"], m["role"]) for m in data["memberships"]] == [(str(org.id), "member")]
    assert [t["title"] for t in data["tasks_created"]] == ["Written by me"]
    assert data["tasks_created"][0]["id"] == str(task.pk)
    assert [t["title"] for t in data["tasks_assigned"]] == ["For me"]
    assert [(c["task_id"], c["body"]) for c in data["comments"]] == [(str(assigned.pk), "On it")]
    assert "Hello you" in [n["title"] for n in data["notifications"]]
    (session,) = data["sessions"]
    assert session["id"] == str(client.session_row.pk)
    assert "refresh_jti" not in session
    assert client.session_row.refresh_jti not in json.dumps(data)
    assert "data_export_requested" in [e["kind"] for e in data["security_events"]]

    # Nobody else reaches it: the URLs have no id, each person sees their own (here: none).
    stranger = client_for(org.admin)
    assert_error(stranger.get(EXPORT), 404, "not_found")
    assert_error(stranger.get(DOWNLOAD), 404, "not_found")


def test_while_one_is_waiting_for_a_worker_another_request_answers_it(auth_client, user):
    # No on-commit callbacks run here: the export stays pending, as with a busy worker.
    first = auth_client.post(EXPORT)
    second = auth_client.post(EXPORT)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["state"] == "pending"
    assert first.json()["download_url"] is None
    assert DataExport.objects.filter(user=user).count() == 1
    assert_error(auth_client.get(DOWNLOAD), 409, "export_not_ready")


def test_starting_exports_is_limited_per_account(auth_client, start, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "data_export": "2/d"}
    assert start(auth_client).status_code == 200
    assert start(auth_client).status_code == 200
    response = start(auth_client)
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"]


def test_a_failed_build_says_so(auth_client, start, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.selectors, "personal_data_collect", broken)
    body = start(auth_client).json()
    assert body["state"] == "failed"
    assert body["error"] == "The export could not be built."
    assert_error(auth_client.get(DOWNLOAD), 409, "export_failed")


def test_no_export_yet_is_a_404(auth_client):
    assert_error(auth_client.get(EXPORT), 404, "not_found")
    assert_error(auth_client.get(DOWNLOAD), 404, "not_found")


def test_expired_exports_are_gone_and_cleaned_up(user, auth_client):
    expired = DataExportFactory(user=user, built=True, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = DataExportFactory(user=user, built=True)
    DataExport.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(days=1))
    storage, name = expired.file.storage, expired.file.name
    DataExport.objects.filter(pk=expired.pk).update(created_at=timezone.now())  # the newest, but expired

    assert auth_client.get(EXPORT).json()["id"] == str(fresh.pk)

    out = StringIO()
    call_command("purge", only=["data_exports"], batch_size=1, stdout=out)
    assert "data_exports: 1 exports removed" in out.getvalue()
    assert list(DataExport.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not storage.exists(name)
    assert fresh.file.storage.exists(fresh.file.name)
    assert services.data_exports_purge() == 0


def test_a_build_runs_once(user):
    export = DataExportFactory(user=user)
    assert services.data_export_build(export_id=export.pk).state == DataExportState.SUCCEEDED
    assert services.data_export_build(export_id=export.pk) is None


def test_an_export_built_while_the_bucket_cannot_be_reached_is_built_again_later_not_failed(user, s3_outage):
    pending = DataExportFactory(user=user)
    s3_outage()
    services.data_export_build(export_id=pending.pk)
    pending.refresh_from_db()
    assert pending.state == DataExportState.RUNNING
    assert pending.heartbeat_at is None  # a lost run at once: the next claim or the sweep builds it again
    assert pending.last_error.startswith("StorageUnavailable")
