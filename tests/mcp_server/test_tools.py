"""Every tool through the official MCP client, as the person's own session (a session JWT): what it
answers, and the REST API's refusals: another organization's data is not_found, a viewer may not
write, validation errors name the argument, and nothing escapes as a 500."""

import datetime

import pytest

from organizations.models import Role
from tasks_app import services as task_services
from tasks_app.models import Priority, Status, Task, TaskActivity
from tests.factories import CommentFactory, NotificationFactory, TaskFactory
from tests.mcp_server.clients import error_codes, structured

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(org, bearer, mcp):
    return lambda role: mcp(bearer(org.users[role]))


@pytest.fixture
def task(org):
    return task_services.task_create(
        organization=org.organization,
        created_by=org.users["member"],
        title="Ship the release",
        description="Ask @nobody for the notes",
        priority=Priority.HIGH,
        assignee=org.users["member"],
    )


@pytest.fixture
def foreign_task(other_org):
    return TaskFactory(organization=other_org.organization, created_by=other_org.owner, title="Globex secret")


def test_list_organizations_shows_only_mine(as_role, org, other_org):
    data = structured(as_role("viewer").call_tool("list_organizations", {}))
    assert [(item["id"], item["role"]) for item in data["data"]] == [(str(org.organization.pk), "viewer")]


def test_list_tasks_scopes_to_my_organizations_and_filters(as_role, org, task, foreign_task):
    TaskFactory(organization=org.organization, created_by=org.owner, title="Water plants", status=Status.DONE)
    viewer = as_role("viewer")
    data = structured(viewer.call_tool("list_tasks", {}))
    assert {item["title"] for item in data["data"]} == {"Ship the release", "Water plants"}
    assert data["pagination"] == {
        "total": 2, "total_exact": True, "page": 1, "page_size": 20, "total_pages": 1,
        "has_next": False, "has_prev": False,
    }  # fmt: skip
    assert [t["title"] for t in structured(viewer.call_tool("list_tasks", {"status": "done"}))["data"]] == [
        "Water plants"
    ]
    filtered = viewer.call_tool("list_tasks", {"assignee": str(org.users["member"].pk), "priority": "high"})
    assert [t["id"] for t in structured(filtered)["data"]] == [str(task.pk)]
    paged = structured(viewer.call_tool("list_tasks", {"page_size": 1, "page": 2}))
    assert paged["pagination"]["has_prev"]
    assert len(paged["data"]) == 1


def test_list_tasks_of_another_organization_is_not_found(as_role, other_org, foreign_task):
    result = as_role("owner").call_tool("list_tasks", {"organization": str(other_org.organization.pk)})
    assert error_codes(result) == ["not_found"]


def test_list_tasks_validation_names_the_argument(as_role):
    result = as_role("viewer").call_tool("list_tasks", {"assignee": "not-a-uuid"})
    assert structured(result)["errors"][0]["field"] == "assignee"
    assert structured(result)["status"] == 400
    assert error_codes(as_role("viewer").call_tool("list_tasks", {"page": 9})) == ["invalid_page"]


def test_search_tasks(as_role, task, foreign_task):
    TaskFactory(organization=task.organization, created_by=task.created_by, title="Release party")
    found = structured(as_role("viewer").call_tool("search_tasks", {"search": "ship RELEASE"}))
    assert [item["id"] for item in found["data"]] == [str(task.pk)]
    assert structured(as_role("viewer").call_tool("search_tasks", {"search": "Globex"}))["data"] == []


def test_get_task_with_comments_and_activity(as_role, org, task):
    CommentFactory(task=task, author=org.users["admin"], body="On it")
    data = structured(as_role("viewer").call_tool("get_task", {"task_id": str(task.pk)}))
    assert data["task"]["title"] == "Ship the release"
    assert data["task"]["assignee"]["username"] == org.users["member"].username
    assert [comment["body"] for comment in data["comments"]] == ["On it"]
    assert data["comment_count"] == 1
    assert [entry["verb"] for entry in data["activity"]] == ["created"]


def test_get_task_of_another_organization_is_not_found(as_role, foreign_task):
    result = as_role("owner").call_tool("get_task", {"task_id": str(foreign_task.pk)})
    assert error_codes(result) == ["not_found"]
    assert structured(result)["status"] == 404
    # The same answer as an id that does not exist, and a malformed id names the argument.
    assert error_codes(as_role("owner").call_tool("get_task", {"task_id": "00000000-0000-0000-0000-000000000000"})) == [
        "not_found"
    ]
    assert structured(as_role("owner").call_tool("get_task", {"task_id": "nope"}))["errors"][0]["field"] == "task_id"


def test_create_task(as_role, org):
    result = as_role("member").call_tool(
        "create_task",
        {
            "organization": str(org.organization.pk),
            "title": "Write the changelog",
            "priority": "urgent",
            "assignee": str(org.users["admin"].pk),
            "due_date": "2031-01-31",
        },
    )
    data = structured(result)
    assert not result.is_error
    task = Task.objects.get(pk=data["id"])
    assert (task.title, task.priority, task.assignee, task.due_date, task.created_by) == (
        "Write the changelog",
        Priority.URGENT,
        org.users["admin"],
        datetime.date(2031, 1, 31),
        org.users["member"],
    )
    assert data["status"] == "todo"
    assert org.users["admin"].notifications.filter(kind="assigned").exists()


def test_viewer_may_not_create_a_task(as_role, org):
    result = as_role("viewer").call_tool("create_task", {"organization": str(org.organization.pk), "title": "No"})
    assert error_codes(result) == ["permission_denied"]
    assert structured(result)["status"] == 403
    assert not Task.objects.exists()


def test_create_task_in_another_organization_is_not_found(as_role, other_org):
    result = as_role("owner").call_tool("create_task", {"organization": str(other_org.organization.pk), "title": "X"})
    assert error_codes(result) == ["not_found"]
    assert not Task.objects.exists()


def test_create_task_validation_errors_name_the_fields(as_role, org, other_org):
    result = as_role("member").call_tool(
        "create_task",
        {"organization": str(org.organization.pk), "title": "x" * 201, "assignee": str(other_org.owner.pk)},
    )
    errors = {entry["field"]: entry["code"] for entry in structured(result)["errors"]}
    assert errors == {"title": "max_length"}
    result = as_role("member").call_tool(
        "create_task", {"organization": str(org.organization.pk), "title": "T", "assignee": str(other_org.owner.pk)}
    )
    assert [(e["field"], e["code"]) for e in structured(result)["errors"]] == [("assignee", "not_a_member")]


def test_update_task(as_role, org, task):
    result = as_role("member").call_tool(
        "update_task", {"task_id": str(task.pk), "status": "in_progress", "unassign": True, "title": "Ship it"}
    )
    data = structured(result)
    assert (data["status"], data["assignee"], data["title"]) == ("in_progress", None, "Ship it")
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert task.assignee is None
    changed = set(TaskActivity.objects.filter(task=task, verb="updated").values_list("field", flat=True))
    assert changed == {"status", "assignee", "title"}


def test_viewer_may_not_update_and_outsiders_see_nothing(as_role, task, foreign_task):
    assert error_codes(as_role("viewer").call_tool("update_task", {"task_id": str(task.pk), "title": "x"})) == [
        "permission_denied"
    ]
    assert error_codes(as_role("owner").call_tool("update_task", {"task_id": str(foreign_task.pk), "title": "x"})) == [
        "not_found"
    ]
    task.refresh_from_db()
    foreign_task.refresh_from_db()
    assert (task.title, foreign_task.title) == ("Ship the release", "Globex secret")


def test_comment_on_task(as_role, org, task):
    result = as_role("admin").call_tool(
        "comment_on_task", {"task_id": str(task.pk), "body": f"Done, @{org.users['viewer'].username}"}
    )
    data = structured(result)
    assert data["author"]["username"] == org.users["admin"].username
    assert [user["username"] for user in data["mentions"]] == [org.users["viewer"].username]
    assert task.comments.get().body.startswith("Done")
    assert org.users["viewer"].notifications.filter(kind="mentioned").exists()


def test_comment_refusals(as_role, task, foreign_task):
    assert error_codes(as_role("viewer").call_tool("comment_on_task", {"task_id": str(task.pk), "body": "hi"})) == [
        "permission_denied"
    ]
    assert error_codes(
        as_role("owner").call_tool("comment_on_task", {"task_id": str(foreign_task.pk), "body": "hi"})
    ) == ["not_found"]
    blank = structured(as_role("member").call_tool("comment_on_task", {"task_id": str(task.pk), "body": ""}))
    assert blank["errors"][0]["field"] == "body"


def test_my_assigned_and_mentioned_tasks(as_role, org, task, other_org):
    member = org.users["member"]
    mentioned = TaskFactory(organization=org.organization, created_by=org.owner, title="Review")
    mentioned.mentions.add(member)
    # Assigned to the member in an organization they have since left: not theirs to see any more.
    elsewhere = TaskFactory(organization=other_org.organization, created_by=other_org.owner, assignee=member)
    assert elsewhere.assignee == member
    client = as_role("member")
    assert [t["id"] for t in structured(client.call_tool("my_assigned_tasks", {}))["data"]] == [str(task.pk)]
    assert [t["id"] for t in structured(client.call_tool("my_mentioned_tasks", {}))["data"]] == [str(mentioned.pk)]
    assert structured(client.call_tool("my_assigned_tasks", {"status": "done"}))["data"] == []


def test_list_notifications(as_role, org, other_org):
    member = org.users["member"]
    NotificationFactory(recipient=member, title="Old", read_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC))
    NotificationFactory(recipient=member, title="New", organization_id=org.organization.pk)
    NotificationFactory(recipient=org.users["admin"], title="Not mine")
    client = as_role("member")
    assert {n["title"] for n in structured(client.call_tool("list_notifications", {}))["data"]} == {"Old", "New"}
    unread = structured(client.call_tool("list_notifications", {"unread_only": True}))
    assert [n["title"] for n in unread["data"]] == ["New"]


def test_get_organization_report(as_role, org, task, other_org):
    data = structured(
        as_role("viewer").call_tool(
            "get_organization_report", {"organization": str(org.organization.pk), "date_to": "2031-06-30"}
        )
    )
    assert data["organization"]["id"] == str(org.organization.pk)
    assert data["range"]["to"] == "2031-06-30"
    assert sum(row["count"] for row in data["by_status"]) == 1
    refused = as_role("owner").call_tool("get_organization_report", {"organization": str(other_org.organization.pk)})
    assert error_codes(refused) == ["not_found"]
    bad_range = as_role("viewer").call_tool(
        "get_organization_report",
        {"organization": str(org.organization.pk), "date_from": "2031-02-01", "date_to": "2031-01-01"},
    )
    assert [(e["field"], e["code"]) for e in structured(bad_range)["errors"]] == [("date_from", "invalid_range")]


def test_a_demoted_member_loses_the_right_on_the_next_call(as_role, org):
    member = org.users["member"]
    client = as_role("member")
    arguments = {"organization": str(org.organization.pk), "title": "First"}
    assert not client.call_tool("create_task", arguments).is_error
    member.memberships.filter(organization=org.organization).update(role=Role.VIEWER)
    assert error_codes(client.call_tool("create_task", arguments)) == ["permission_denied"]


def test_an_organization_that_requires_a_second_factor(as_role, org, task):
    org.organization.require_mfa = True
    org.organization.save()
    client = as_role("member")
    assert error_codes(client.call_tool("get_task", {"task_id": str(task.pk)})) == ["mfa_required"]
    assert structured(client.call_tool("list_tasks", {}))["data"] == []


def test_superuser_reads_any_task_by_id(superuser, bearer, mcp, foreign_task):
    data = structured(mcp(bearer(superuser)).call_tool("get_task", {"task_id": str(foreign_task.pk)}))
    assert data["task"]["id"] == str(foreign_task.pk)


def test_an_unexpected_failure_is_an_error_result_not_a_500(as_role, monkeypatch, task):
    from mcp_server import access

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(access, "task_get", broken)
    result = as_role("viewer").call_tool("get_task", {"task_id": str(task.pk)})
    assert error_codes(result) == ["server_error"]
    assert "boom" not in result.content[0].text
