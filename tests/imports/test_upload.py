"""POST /organizations/{organization_id}/imports: what is accepted, stored and queued, and what is refused first."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from tasks_app.models import Task
from tests.imports.conftest import imports_url, tasks_csv
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


def test_upload_answers_202_with_the_pending_job_and_stores_the_file(upload, org):
    response = upload(tasks_csv(3), name="my tasks.csv", mode="all_or_nothing", run=False)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "pending"
    assert body["kind"] == "tasks"
    assert body["mode"] == "all_or_nothing"
    assert body["dry_run"] is False
    assert body["file_name"] == "my tasks.csv"
    assert body["total"] == 3
    assert body["progress"] == 0
    assert body["organization"] == str(org.id)
    assert body["created_by"]["id"] == str(org.admin.pk)
    job = ImportJob.objects.get(pk=body["id"])
    # Stored through the storage API under ids only, never the client's file name.
    assert job.file.name == f"imports/{org.id}/{job.pk}.csv"
    assert default_storage.exists(job.file.name)
    with default_storage.open(job.file.name, "rb") as stored:
        assert stored.read() == tasks_csv(3)


def test_upload_runs_the_job_once_the_request_commits(upload):
    response = upload(tasks_csv(2))
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded"
    assert Task.objects.filter(import_job_id=job.pk).count() == 2


def test_owner_may_upload_too(upload):
    assert upload(tasks_csv(1), caller="owner").status_code == 202


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "projects"}, "kind"),
        ({"kind": "tasks", "mode": "sometimes"}, "mode"),
        ({"kind": "tasks", "dry_run": "perhaps"}, "dry_run"),
    ],
)
def test_invalid_fields_answer_400_naming_the_field(client_as, org, fields, field):
    data = {"file": SimpleUploadedFile("a.csv", tasks_csv(1)), **fields}
    body = assert_error(client_as("admin").post(imports_url(org.id), data, format="multipart"), 400)
    assert field in [error["field"] for error in body["errors"]]
    assert not ImportJob.objects.exists()


def test_a_missing_file_answers_400(client_as, org):
    body = assert_error(client_as("admin").post(imports_url(org.id), {"kind": "tasks"}, format="multipart"), 400)
    assert body["errors"][0]["field"] == "file"


def test_json_is_not_an_upload_415(client_as, org):
    assert_error(client_as("admin").post(imports_url(org.id), {"kind": "tasks"}, format="json"), 415)


# --- Limits ----------------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_answers_413(upload, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(tasks_csv(10))
    assert_error(response, 413, "payload_too_large")
    assert not ImportJob.objects.exists()


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(client_as, org, settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 1000
    read = []
    monkeypatch.setattr("rest_framework.parsers.MultiPartParser.parse", lambda *args, **kwargs: read.append(1))
    data = {"kind": "tasks", "file": SimpleUploadedFile("big.csv", b"title\n" + b"x" * 100_000 + b"\n")}
    response = client_as("admin").post(imports_url(org.id), data, format="multipart")
    assert_error(response, 413, "payload_too_large")
    assert read == []


def test_more_rows_than_the_limit_answers_400(upload, settings):
    settings.IMPORT_MAX_ROWS = 5
    body = assert_error(upload(tasks_csv(6)), 400, "too_many_rows")
    assert body["errors"][0]["field"] == "file"
    assert "5" in body["errors"][0]["message"]
    assert not ImportJob.objects.exists()


def test_exactly_the_row_limit_is_accepted(upload, settings):
    settings.IMPORT_MAX_ROWS = 5
    assert upload(tasks_csv(5)).status_code == 202


# --- Not a CSV file --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"title\nfirst\x00row\n", "not_csv", "NUL byte"),
        ("title\nCaf\u00e9\n".encode("latin-1"), "not_utf8", "UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00binary workbook", "not_csv", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "not_csv", "xls"),
        ("title\nA task\n".encode("utf-16"), "not_csv", "UTF-16"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not_csv", "PDF"),
        (bytes(range(256)) * 4, "not_csv", "NUL byte"),
        (b"", "empty", None),
        (b"\xef\xbb\xbf\n\n  \n", "empty_file", "empty"),
        (b'title\n"never closed\n' + b"x" * 200_000 + b"\n", "malformed_csv", "not valid CSV"),
    ],
)
def test_files_that_are_not_text_csv_are_refused_with_a_clear_error(upload, content, code, words):
    body = assert_error(upload(content), 400, code)
    assert body["errors"][0]["field"] == "file"
    if words:
        assert words in body["errors"][0]["message"]
    assert not ImportJob.objects.exists()
    assert not Task.objects.exists()
