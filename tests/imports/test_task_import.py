"""Task imports: each validation rule, both modes, dry runs, what imported tasks record, who hears of it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tasks_app.models import Priority, Status, Task, TaskActivity
from tests.factories import UserFactory
from tests.imports.conftest import TASK_HEADER, csv_bytes, imports_url, task_rows, tasks_csv

pytestmark = pytest.mark.django_db

LONG = "x" * 201


@pytest.mark.parametrize(
    ("row", "column", "code", "value"),
    [
        (",desc,todo,low,,", "title", "required", ""),
        ("   ,desc,todo,low,,", "title", "required", ""),
        (f"{LONG},desc,todo,low,,", "title", "too_long", LONG[:200]),
        ("T," + "d" * 10_001 + ",todo,low,,", "description", "too_long", "d" * 200),
        ("T,desc,started,low,,", "status", "invalid_choice", "started"),
        ("T,desc,todo,critical,,", "priority", "invalid_choice", "critical"),
        ("T,desc,todo,low,nobody@example.com,", "assignee_email", "not_a_member", "nobody@example.com"),
        ("T,desc,todo,low,{outsider},", "assignee_email", "not_a_member", "{outsider}"),
        ("T,desc,todo,low,,31/12/2030", "due_date", "invalid_date", "31/12/2030"),
        ("T,desc,todo,low,,2030-02-30", "due_date", "invalid_date", "2030-02-30"),
        ("T,desc,todo,low,,2030-01-01,extra", "", "too_many_cells", ""),
    ],
    ids=[
        "title-missing",
        "title-blank",
        "title-too-long",
        "description-too-long",
        "status",
        "priority",
        "assignee-unknown",
        "assignee-of-another-organization",
        "due-date-format",
        "due-date-impossible",
        "too-many-cells",
    ],
)
def test_each_invalid_cell_is_rejected_with_its_line_column_and_reason(imported, outsider, row, column, code, value):
    row, value = row.format(outsider=outsider.email), value.format(outsider=outsider.email)
    job = imported(csv_bytes(TASK_HEADER, *task_rows(2), row, *task_rows(1, start=2)))
    assert (job.state, job.total, job.created, job.failed) == ("succeeded", 4, 3, 1)
    error = job.row_errors.get()
    assert (error.line, error.column, error.code, error.value) == (4, column, code, value)
    assert error.message
    assert Task.objects.count() == 3


def test_a_row_with_several_problems_lists_each_and_counts_once(imported):
    job = imported(csv_bytes(TASK_HEADER, ",d,soon,whenever,ghost@example.com,tomorrow"))
    assert job.failed == 1
    assert sorted(job.row_errors.values_list("column", flat=True)) == [
        "assignee_email",
        "due_date",
        "priority",
        "status",
        "title",
    ]


def test_valid_rows_accept_defaults_and_forgiving_spellings(imported, org):
    job = imported(
        csv_bytes(
            TASK_HEADER,
            "Plain,,,,,",
            f"Spelled,  some text  ,In Progress,URGENT,{org.member.email.upper()},2030-03-04",
            "Dashed,,in-progress,Low,,",
            "Finished,,done,high,,",
        )
    )
    assert (job.state, job.created, job.failed) == ("succeeded", 4, 0)
    plain = Task.objects.get(title="Plain")
    assert (plain.status, plain.priority, plain.assignee_id, plain.due_date, plain.description) == (
        Status.TODO,
        Priority.MEDIUM,
        None,
        None,
        "",
    )
    spelled = Task.objects.get(title="Spelled")
    assert (spelled.status, spelled.priority, spelled.assignee_id, spelled.due_date, spelled.description) == (
        Status.IN_PROGRESS,
        Priority.URGENT,
        org.member.pk,
        datetime.date(2030, 3, 4),
        "some text",
    )
    assert Task.objects.get(title="Dashed").status == Status.IN_PROGRESS
    assert Task.objects.get(title="Finished").completed_at is not None
    assert plain.completed_at is None


def test_imported_tasks_record_their_job_creator_and_imported_activity(imported, org, client_as):
    job = imported(tasks_csv(2, assignee=org.viewer.email))
    tasks = list(Task.objects.order_by("created_at"))
    assert [task.title for task in tasks] == ["Task 0", "Task 1"]  # file order
    for task in tasks:
        assert task.import_job_id == job.pk
        assert task.organization_id == org.id
        assert task.created_by_id == org.admin.pk
        assert task.assignee_id == org.viewer.pk
    activity = client_as("member").get(f"/api/v1/tasks/{tasks[0].pk}/activity").json()
    assert activity["pagination"]["total"] == 1
    [entry] = activity["data"]
    assert (entry["id"], entry["verb"], entry["field"], entry["old_value"], entry["new_value"]) == (
        0,
        "imported",
        "",
        "",
        str(job.pk),
    )
    assert entry["actor"]["id"] == str(org.admin.pk)
    assert datetime.datetime.fromisoformat(entry["created_at"]) == tasks[0].created_at
    # Read from the task itself: an import stores no activity row per task.
    assert not TaskActivity.objects.exists()
    # The task API shows them like any other task.
    listed = client_as("member").get(f"/api/v1/tasks?organization={org.id}").json()["data"]
    assert {entry["title"] for entry in listed} == {"Task 0", "Task 1"}


def activity_of(client, task, **query) -> dict:
    response = client.get(f"/api/v1/tasks/{task.pk}/activity", query)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_imported_task_shows_imported_first_then_its_changes_on_every_page(imported, org, client_as):
    job = imported(tasks_csv(1))
    task = Task.objects.get()
    admin = client_as("admin")
    assert admin.patch(f"/api/v1/tasks/{task.pk}", {"status": "done"}).status_code == 200
    assert admin.post(f"/api/v1/tasks/{task.pk}/comments", {"body": "Shipped"}).status_code == 201
    whole = activity_of(admin, task)
    assert [(entry["verb"], entry["field"]) for entry in whole["data"]] == [
        ("imported", ""),
        ("updated", "status"),
        ("commented", ""),
    ]
    assert whole["data"][0]["new_value"] == str(job.pk)
    assert whole["pagination"]["total"] == 3
    # Page by page, the imported entry once, first, and nothing lost between pages.
    pages = [activity_of(admin, task, page_size=2, page=number) for number in (1, 2)]
    assert [page["pagination"]["total"] for page in pages] == [3, 3]
    assert [entry for page in pages for entry in page["data"]] == whole["data"]
    assert (pages[0]["pagination"]["has_next"], pages[1]["pagination"]["has_next"]) == (True, False)
    only_second = activity_of(admin, task, page_size=1, page=2)["data"]
    assert [entry["field"] for entry in only_second] == ["status"]


def test_a_task_imported_before_shows_its_stored_imported_entry_once(imported, org, client_as):
    job = imported(tasks_csv(1))
    task = Task.objects.get()
    # What imports stored per task before: the entry is read from the task, the old row left out.
    TaskActivity.objects.create(task=task, actor=org.admin, verb="imported", new_value=str(job.pk))
    activity = activity_of(client_as("viewer"), task)
    assert [entry["verb"] for entry in activity["data"]] == ["imported"]
    assert activity["pagination"]["total"] == 1


def test_the_activity_of_an_imported_task_costs_no_more_queries_than_any_task_s(imported, org, client_as):
    imported(tasks_csv(1))
    task = Task.objects.get()
    client = client_as("member")
    created = client.post("/api/v1/tasks", {"organization": str(org.id), "title": "Typed in"}).json()
    typed = Task.objects.get(pk=created["id"])
    activity_of(client, typed)  # what is cached about the person (config.person_cache) read once, as after any request
    counts = []
    for each in (task, typed):
        with CaptureQueriesContext(connection) as queries:
            activity_of(client, each)
        counts.append(len(queries))
    assert counts[0] <= counts[1]  # no query at all for the stored part when the page holds only "imported"


def test_assignees_get_one_summary_and_the_importer_hears_the_end(imported, org):
    rows = [
        *task_rows(3, assignee=org.member.email),
        *task_rows(1, start=3, assignee=org.viewer.email),
        *task_rows(2, start=4, assignee=org.admin.email),  # the importer: no summary to oneself
        *task_rows(1, start=6),
    ]
    job = imported(csv_bytes(TASK_HEADER, *rows))
    assert job.created == 7
    assert not Notification.objects.filter(kind="assigned").exists()  # not one per row
    summaries = {n.recipient_id: n for n in Notification.objects.filter(kind="import_summary")}
    assert set(summaries) == {org.member.pk, org.viewer.pk}
    assert summaries[org.member.pk].data["assigned_to_you"] == 3
    assert summaries[org.member.pk].title == "3 imported tasks were assigned to you"
    assert summaries[org.viewer.pk].title == "1 imported task was assigned to you"
    assert summaries[org.viewer.pk].actor_id == org.admin.pk
    finished = Notification.objects.get(kind="import_finished")
    assert finished.recipient_id == org.admin.pk
    assert finished.target_id == job.pk
    assert finished.url == f"/imports/{job.pk}"
    assert "7 created" in finished.body


def test_skip_invalid_loads_the_valid_rows(imported):
    job = imported(csv_bytes(TASK_HEADER, *task_rows(2), ",desc,,,,", *task_rows(2, start=2)), mode="skip_invalid")
    assert (job.state, job.created, job.failed, job.progress) == ("succeeded", 4, 1, 100)


def test_all_or_nothing_with_an_invalid_row_loads_nothing_and_fails(imported, client_as, org):
    content = csv_bytes(TASK_HEADER, *task_rows(3), "Bad,,never,,,", *task_rows(3, start=3), ",d,,,,")
    job = imported(content, mode="all_or_nothing")
    assert job.state == "failed"
    assert (job.total, job.created, job.failed) == (8, 0, 2)
    assert "nothing was loaded" in job.message
    assert not Task.objects.exists()
    errors = client_as("admin").get(f"/api/v1/imports/{job.pk}/errors").json()["data"]
    assert [(e["line"], e["column"], e["code"]) for e in errors] == [
        (5, "status", "invalid_choice"),
        (9, "title", "required"),
    ]
    assert Notification.objects.get(kind="import_finished", recipient=org.admin).title.endswith("failed")


def test_all_or_nothing_with_valid_rows_loads_them_all(imported, settings):
    settings.IMPORT_BATCH_SIZE = 2
    job = imported(tasks_csv(5), mode="all_or_nothing")
    assert (job.state, job.phase, job.created, job.failed, job.processed) == ("succeeded", "loading", 5, 0, 5)
    assert Task.objects.count() == 5


@pytest.mark.parametrize("mode", ["skip_invalid", "all_or_nothing"])
def test_a_dry_run_validates_and_reports_only(imported, mode):
    job = imported(csv_bytes(TASK_HEADER, *task_rows(3), "Bad,,never,,,"), mode=mode, dry_run="true")
    assert (job.dry_run, job.total, job.processed, job.failed, job.created) == (True, 4, 4, 1, 0)
    assert job.state == ("failed" if mode == "all_or_nothing" else "succeeded")
    assert "Dry run" in job.message
    assert job.row_errors.get().code == "invalid_choice"
    assert not Task.objects.exists()
    assert not TaskActivity.objects.exists()


def test_a_clean_dry_run_succeeds_and_counts_the_valid_rows(imported, client_as):
    job = imported(tasks_csv(3), dry_run=True, mode="all_or_nothing")
    status = client_as("admin").get(f"/api/v1/imports/{job.pk}/status").json()
    assert (status["state"], status["valid"], status["created"], status["progress"]) == ("succeeded", 3, 0, 100)


def test_an_importer_who_lost_the_admin_role_fails_the_job(upload, org):
    from organizations.models import Membership, Role

    response = upload(tasks_csv(2), run=False)
    Membership.objects.filter(user=org.admin, organization=org.organization).update(role=Role.MEMBER)
    from imports import services

    job = services.import_job_run(job_id=response.json()["id"])
    assert job.state == "failed"
    assert "no longer an admin" in job.message
    assert not Task.objects.exists()


def test_validation_costs_no_query_per_row(client_as, org, settings, django_capture_on_commit_callbacks):
    """The whole import, upload to notifications, costs about the same number of queries for 5 rows or 200."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_BATCH_SIZE = 1000
    client = client_as("admin")
    others = [UserFactory() for _ in range(3)]
    for user in others:
        org.organization.memberships.create(user=user, role=10)

    def queries_for(rows: int) -> int:
        assignees = [user.email for user in others]
        lines = [f"T{i},d,todo,low,{assignees[i % 3]},2030-01-01" for i in range(rows)] + ["Bad,d,never,,,"]
        data = {"kind": "tasks", "file": SimpleUploadedFile("a.csv", csv_bytes(TASK_HEADER, *lines))}
        with CaptureQueriesContext(connection) as context, django_capture_on_commit_callbacks(execute=True):
            assert client.post(imports_url(org.id), data, format="multipart").status_code == 202
        return len(context)

    # 195 more rows may cost a few more INSERT statements (SQLite caps the parameters of one), never one per row.
    assert queries_for(200) <= queries_for(5) + 5
    assert Task.objects.count() == 205


def test_imported_tasks_are_on_the_next_page_asked(client_as, imported):
    """An import writes its tasks by ``COPY`` on PostgreSQL, past every model method: the page kept before it
    (tasks_app/page_cache.py) is not served again, because the tasks' own triggers gave it a new version."""
    client = client_as("admin")
    for _ in range(2):  # computed, then kept
        assert client.get("/api/v1/tasks").json()["data"] == []
    imported(tasks_csv(3))
    assert len(client.get("/api/v1/tasks").json()["data"]) == 3
