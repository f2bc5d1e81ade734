"""``POST /tasks/bulk``: one change for up to 100 tasks, all or nothing, checked per task, recorded per task,
notified once per person, in a fixed number of queries (docs/api/tasks.md, "Bulk changes")."""

import sqlite3
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, NotificationKind
from organizations.changes import Action
from orgaudit.models import OrganizationAuditRecord
from tasks_app.models import Status, Task, TaskActivity
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/tasks/bulk"


def make_tasks(make_task, count, **fields) -> list[Task]:
    return [make_task(title=f"Task {n}", **fields) for n in range(count)]


def post(client, org, tasks, **body):
    return client.post(
        BULK, {"organization": str(org.id), "ids": [str(task.pk) for task in tasks], **body}, format="json"
    )


def test_a_status_change_moves_every_task_records_each_and_notifies_each_person_once(
    org, client_for, make_task, changes
):
    mine = make_tasks(make_task, 3, created_by=org.member, assignee=org.admin)
    done_already = make_task(title="Done", created_by=org.member, status=Status.DONE)
    Notification.objects.all().delete()

    response = post(client_for(org.member), org, [*mine, done_already], change={"status": "done"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == [str(task.pk) for task in mine]
    assert body["unchanged"] == [str(done_already.pk)]
    assert [task["status"] for task in body["tasks"]] == ["done"] * 3
    assert all(task["completed_at"] for task in body["tasks"])
    assert set(Task.objects.filter(pk__in=[t.pk for t in mine]).values_list("status", flat=True)) == {Status.DONE}
    activity = TaskActivity.objects.filter(field="status", task__in=mine)
    assert sorted((a.old_value, a.new_value, a.actor_id) for a in activity) == [("todo", "done", org.member.pk)] * 3
    # The assignee hears once, with their three tasks; the creator acted, so hears nothing.
    (note,) = Notification.objects.filter(kind=NotificationKind.STATUS_CHANGED)
    assert note.recipient == org.admin
    assert note.title.endswith("moved 3 tasks of yours to done")
    assert sorted(item["id"] for item in note.data["tasks"]) == sorted(str(t.pk) for t in mine)
    updates = [change for change in changes if change.action == Action.TASK_UPDATED]
    assert sorted(change.target_id for change in updates) == sorted(str(t.pk) for t in mine)
    assert all(change.after == {"status": Status.DONE} for change in updates)
    assert OrganizationAuditRecord.objects.filter(action="task.updated").count() == 3


def test_assigning_sends_each_new_assignee_one_summary(org, client_for, make_task):
    tasks = make_tasks(make_task, 4)
    Notification.objects.all().delete()
    response = post(client_for(org.admin), org, tasks, change={"assignee": str(org.viewer.pk)})
    assert response.status_code == 200, response.content
    (note,) = Notification.objects.all()
    assert (note.recipient, note.kind, note.url) == (org.viewer, NotificationKind.ASSIGNED, "/tasks/assigned")
    assert "assigned 4 tasks to you" in note.title
    assert set(Task.objects.values_list("assignee", flat=True)) == {org.viewer.pk}
    unassign = post(client_for(org.admin), org, tasks, change={"assignee": None})
    assert unassign.status_code == 200
    assert set(Task.objects.values_list("assignee", flat=True)) == {None}


@pytest.mark.parametrize(
    ("change", "column", "stored"),
    [({"priority": "urgent"}, "priority", 4), ({"due_date": "2031-02-03"}, "due_date", "2031-02-03")],
)
def test_priority_and_due_date(org, client_for, make_task, change, column, stored):
    tasks = make_tasks(make_task, 2)
    assert post(client_for(org.member), org, tasks, change=change).status_code == 200
    assert {str(value) for value in Task.objects.values_list(column, flat=True)} == {str(stored)}


def test_delete_moves_every_task_to_the_trash(org, client_for, make_task, changes):
    tasks = make_tasks(make_task, 3, created_by=org.member)
    response = post(client_for(org.member), org, tasks, delete=True)
    assert response.status_code == 200, response.content
    assert response.json()["tasks"] == []
    assert not Task.objects.exists()
    assert Task.all_objects.filter(deleted_by=org.member).count() == 3
    assert TaskActivity.objects.filter(verb="deleted").count() == 3
    assert len([change for change in changes if change.action == Action.TASK_DELETED]) == 3
    # They come back from the trash one by one, as any deleted task.
    restored = client_for(org.member).post(f"/api/v1/organizations/{org.id}/trash/tasks/{tasks[0].pk}/restore")
    assert restored.status_code == 200


def test_all_or_nothing_naming_each_offending_id(org, other_org, client_for, make_task):
    theirs = make_task(organization=other_org.organization, created_by=other_org.owner)
    own = make_tasks(make_task, 2, created_by=org.member)
    admins = make_task(created_by=org.admin)
    unknown = uuid.uuid4()
    ids = [str(own[0].pk), str(theirs.pk), str(admins.pk), str(unknown), str(own[1].pk)]

    response = client_for(org.member).post(
        BULK, {"organization": str(org.id), "ids": ids, "delete": True}, format="json"
    )

    assert response.status_code == 400
    errors = {error["field"]: error for error in response.json()["errors"]}
    assert set(errors) == {"ids.1", "ids.2", "ids.3"}
    assert errors["ids.1"]["code"] == errors["ids.3"]["code"] == "not_found"
    assert errors["ids.2"]["code"] == "permission_denied"
    assert str(admins.pk) in errors["ids.2"]["message"]
    assert Task.objects.count() == 4  # nothing deleted
    assert not TaskActivity.objects.filter(verb="deleted").exists()


def test_an_assignee_outside_the_organization_changes_nothing(org, other_org, client_for, make_task):
    tasks = make_tasks(make_task, 2)
    response = post(client_for(org.member), org, tasks, change={"assignee": str(other_org.owner.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "change.assignee"
    assert set(Task.objects.values_list("assignee", flat=True)) == {None}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"change": {}},
        {"change": {"status": "done", "priority": "low"}},
        {"change": {"status": "done"}, "delete": True},
        {"change": {"status": "nope"}},
        {"change": {"title": "x"}},
        {"change": {"status": 1}},
        {"delete": "yes please"},
    ],
)
def test_one_change_exactly(org, client_for, make_task, body):
    response = post(client_for(org.member), org, make_tasks(make_task, 1), **body)
    assert response.status_code == 400, response.content


def test_more_than_100_ids_are_refused_before_any_lookup(org, client_for):
    client = client_for(org.member)

    client.get(
        "/api/v1/tasks"
    )  # what is cached about the person (config.person_cache) read once, as by any request before

    def queries_for(count):
        body = {"organization": str(org.id), "ids": [str(uuid.uuid4()) for _ in range(count)], "delete": True}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(BULK, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": "max_length",
            "message": "Ensure this field has no more than 100 elements.",
            "field": "ids",
        }
        return len(queries)

    assert queries_for(101) == queries_for(10_000)


@pytest.mark.parametrize(("caller", "status"), [("viewer", 403), ("outsider", 404), ("anonymous", 401)])
def test_who_may_not(org, client_as, make_task, caller, status):
    tasks = make_tasks(make_task, 2)
    assert post(client_as(caller), org, tasks, change={"priority": "low"}).status_code == status
    assert set(Task.objects.values_list("priority", flat=True)) == {2}


@pytest.mark.parametrize(("scopes", "status"), [(["tasks:write"], 200), (["tasks:read", "comments:write"], 403)])
def test_a_token_needs_tasks_write(org, client_with_token, make_task, scopes, status):
    client = client_with_token(org.member, scopes=scopes, organizations=[org.organization])
    assert post(client, org, make_tasks(make_task, 1), change={"priority": "low"}).status_code == status


@pytest.mark.parametrize(
    "body",
    [
        {"change": {"status": "done"}},
        {"change": {"assignee": "ADMIN"}},
        {"change": {"priority": "urgent"}},
        {"delete": True},
    ],
)
def test_a_fixed_number_of_queries_for_1_or_100_tasks(
    org, client_for, make_task, monkeypatch, django_assert_num_queries, body
):
    if connection.vendor == "sqlite":
        # Django splits an INSERT into statements of 999 parameters on SQLite (its compile-time default of
        # old); the SQLite linked here takes far more, as PostgreSQL does, where nothing is split.
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)
    # Webhook endpoints (one Discord) and people with email on: every receiver does its work.
    WebhookEndpointFactory(organization=org.organization, events=["*"])
    WebhookEndpointFactory(organization=org.organization, events=["*"], kind="discord")
    client = client_for(org.admin)
    if body.get("change", {}).get("assignee") == "ADMIN":
        body = {"change": {"assignee": str(org.member.pk)}}

    def run(tasks):
        response = post(client, org, tasks, **body)
        assert response.status_code == 200, response.content
        assert len(response.json()["changed"]) == len(tasks)

    creators = [org.member, org.viewer, org.owner]
    client.get(
        "/api/v1/tasks"
    )  # what is cached about the person (config.person_cache) read once, as by any request before
    single = [make_task(title="One", created_by=org.member, assignee=org.viewer)]
    with CaptureQueriesContext(connection) as one:
        run(single)
    hundred = [make_task(title=f"T{n}", created_by=creators[n % 3], assignee=org.viewer) for n in range(100)]
    with django_assert_num_queries(len(one)):
        run(hundred)
