"""The imports endpoints: who may call them, what other organizations see (nothing), lists and error reports."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.models import ImportJob, ImportRowError
from tests.factories import CALLERS
from tests.imports.conftest import TASK_HEADER, csv_bytes, imports_url, job_url, task_rows, tasks_csv
from tests.organizations.assertions import assert_error, assert_page

pytestmark = pytest.mark.django_db

ALLOWED = {"owner", "admin"}
EXPECTED_DENIAL = {"member": 403, "viewer": 403, "outsider": 404, "anonymous": 401}


@pytest.fixture
def job(imported):
    """A finished job of ``org`` with one rejected row."""
    return imported(csv_bytes(TASK_HEADER, *task_rows(2), "Bad,,never,,,"))


@pytest.fixture
def running_job(upload):
    response = upload(tasks_csv(2), run=False)
    return ImportJob.objects.get(pk=response.json()["id"])


def call(client, endpoint: str, org, job):
    if endpoint == "upload":
        data = {"kind": "tasks", "file": SimpleUploadedFile("a.csv", tasks_csv(1))}
        return client.post(imports_url(org.id), data, format="multipart")
    if endpoint == "list":
        return client.get(imports_url(org.id))
    if endpoint == "cancel":
        return client.post(job_url(job.pk, "/cancel"))
    suffix = {"detail": "", "status": "/status", "errors": "/errors", "errors_csv": "/errors?format=csv"}[endpoint]
    return client.get(job_url(job.pk, suffix))


ENDPOINTS = ["upload", "list", "detail", "status", "errors", "errors_csv", "cancel"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_role_matrix(client_as, org, running_job, caller, endpoint):
    response = call(client_as(caller), endpoint, org, running_job)
    if caller in ALLOWED:
        assert response.status_code in (200, 202), response.content
    else:
        assert_error(response, EXPECTED_DENIAL[caller])
    if caller not in ALLOWED:
        running_job.refresh_from_db()
        assert running_job.state == "pending"
        assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_organizations_jobs_answer_404_to_its_admin_and_owner(
    client_for, org, other_org, running_job, endpoint
):
    """Organization B's admin (and owner) asking for organization A's jobs, or A's id: 404, never 403."""
    for user in (other_org.admin, other_org.owner):
        response = call(client_for(user), endpoint, org, running_job)
        assert_error(response, 404, "not_found")
    running_job.refresh_from_db()
    assert running_job.state == "pending"


def test_unknown_and_malformed_ids_answer_404(client_as, org):
    client = client_as("admin")
    assert_error(client.get(job_url("7f8715a5-589b-47cf-8215-9b9a674a9888")), 404)
    assert_error(client.get("/api/v1/imports/not-a-uuid"), 404)
    assert_error(client.get(imports_url("7f8715a5-589b-47cf-8215-9b9a674a9888")), 404)


def test_a_superuser_may_read_any_organizations_jobs(client_for, superuser, job):
    assert client_for(superuser).get(job_url(job.pk, "/status")).status_code == 200


# --- Job representation ----------------------------------------------------------------------


def test_detail_and_status_show_state_counts_and_progress(client_as, job):
    client = client_as("admin")
    detail = client.get(job_url(job.pk)).json()
    assert detail["id"] == str(job.pk)
    assert (detail["state"], detail["total"], detail["processed"], detail["created"], detail["failed"]) == (
        "succeeded",
        3,
        3,
        2,
        1,
    )
    assert (detail["progress"], detail["errors_count"], detail["kind"], detail["mode"]) == (
        100,
        1,
        "tasks",
        "skip_invalid",
    )
    status = client.get(job_url(job.pk, "/status")).json()
    assert set(status) < set(detail)
    assert {key: detail[key] for key in status} == status


def test_list_shows_the_organizations_jobs_newest_first_and_filters_by_state(imported, client_as, org, other_org):
    first = imported(tasks_csv(1))
    second = imported(csv_bytes("nope", "x"))
    client = client_as("admin")
    data = assert_page(client.get(imports_url(org.id)))
    assert [item["id"] for item in data] == [str(second.pk), str(first.pk)]
    failed = assert_page(client.get(imports_url(org.id) + "?state=failed"))
    assert [item["id"] for item in failed] == [str(second.pk)]
    assert_error(client.get(imports_url(org.id) + "?state=lost"), 400)


def test_list_costs_a_fixed_number_of_queries_whatever_the_page_size(
    imported, client_as, org, django_assert_max_num_queries
):
    client = client_as("admin")
    imported(tasks_csv(1))
    with CaptureQueriesContext(connection) as one:
        assert client.get(imports_url(org.id) + "?page_size=1").status_code == 200
    assert len(one) <= 6
    for i in range(12):
        ImportJob.objects.create(organization=org.organization, kind="tasks", created_by=org.owner, file=f"x{i}.csv")
    with django_assert_max_num_queries(len(one)):
        assert len(assert_page(client.get(imports_url(org.id) + "?page_size=50"))) == 13


def test_errors_list_costs_a_fixed_number_of_queries(job, client_as, django_assert_max_num_queries):
    client = client_as("admin")
    with CaptureQueriesContext(connection) as one:
        assert client.get(job_url(job.pk, "/errors?page_size=1")).status_code == 200
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, line=10 + i, column="title", code="required", message="m") for i in range(30)
    )
    with django_assert_max_num_queries(len(one)):
        assert len(assert_page(client.get(job_url(job.pk, "/errors?page_size=50")))) == 31
    with django_assert_max_num_queries(len(one)):
        assert client.get(job_url(job.pk, "/errors?format=csv")).status_code == 200


# --- Errors as JSON and CSV ------------------------------------------------------------------


def test_errors_as_json_are_paginated_in_line_order(imported, client_as):
    job = imported(csv_bytes(TASK_HEADER, ",a,,,,", *task_rows(1), "T,,late,,,"))
    client = client_as("admin")
    for url in (job_url(job.pk, "/errors"), job_url(job.pk, "/errors?format=json")):
        assert assert_page(client.get(url)) == [
            {"line": 2, "column": "title", "code": "required", "message": "A title is required.", "value": ""},
            {
                "line": 4,
                "column": "status",
                "code": "invalid_choice",
                "message": "Expected one of todo, in_progress, done.",
                "value": "late",
            },
        ]
    body = client.get(job_url(job.pk, "/errors?page_size=1&page=2")).json()
    assert [error["line"] for error in body["data"]] == [4]
    assert body["pagination"]["total"] == 2


def test_errors_as_csv_neutralise_formulas(imported, client_as, org):
    formula_rows = [
        'T1,,"=HYPERLINK(""http://evil.example"",""click"")",,,',
        "T2,,+SUM(A1:A9),,,",
        "T3,,-2+3,,,",
        "T4,,,,@cmd,",
        'T5,,"\tindented",,,',
        "T6,,plain,,,",
    ]
    job = imported(csv_bytes(TASK_HEADER, *formula_rows))
    response = client_as("admin").get(job_url(job.pk, "/errors?format=csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="import-{job.pk}-errors.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["line", "column", "code", "message", "value"]
    values = [row[4] for row in rows[1:]]
    assert values == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'+SUM(A1:A9)",
        "'-2+3",
        "'@cmd",
        "indented",  # surrounding spaces and tabs are trimmed when the cell is read
        "plain",
    ]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_unknown_errors_format_answers_400(job, client_as):
    body = assert_error(client_as("admin").get(job_url(job.pk, "/errors?format=xml")), 400)
    assert body["errors"][0]["field"] == "format"
