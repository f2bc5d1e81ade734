"""Delegated credentials (OAuth access tokens, personal access tokens) at ``/mcp``: a token may do
the intersection of its scopes, the organizations it was granted and the person's current role."""

import pytest

from tasks_app import services as task_services
from tasks_app.models import Task
from tests.factories import MembershipFactory, NotificationFactory, TaskFactory
from tests.mcp_server.clients import error_codes, structured

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_of_both(org, other_org):
    member = org.users["member"]
    MembershipFactory(organization=other_org.organization, user=member)
    return member


@pytest.fixture
def task(org):
    return task_services.task_create(organization=org.organization, created_by=org.users["member"], title="Ours")


@pytest.mark.parametrize(
    ("tool", "arguments", "scope"),
    [
        ("list_tasks", {}, "tasks:read"),
        ("search_tasks", {"search": "x"}, "tasks:read"),
        ("get_task", {"task_id": "TASK"}, "tasks:read"),
        ("my_assigned_tasks", {}, "tasks:read"),
        ("my_mentioned_tasks", {}, "tasks:read"),
        ("list_notifications", {}, "tasks:read"),
        ("create_task", {"organization": "ORG", "title": "T"}, "tasks:write"),
        ("update_task", {"task_id": "TASK", "title": "T"}, "tasks:write"),
        ("comment_on_task", {"task_id": "TASK", "body": "B"}, "comments:write"),
        ("get_organization_report", {"organization": "ORG"}, "reports:read"),
    ],
)
def test_each_tool_needs_its_scope(org, task, delegated, mcp, tool, arguments, scope):
    arguments = {
        name: {"TASK": str(task.pk), "ORG": str(org.organization.pk)}.get(value, value)
        for name, value in arguments.items()
    }
    others = {"profile", "tasks:read", "tasks:write", "comments:write", "reports:read", "members:read"} - {scope}
    refused = mcp(delegated(org.users["member"], others)).call_tool(tool, arguments)
    assert error_codes(refused) == ["insufficient_scope"]
    assert structured(refused)["errors"][0]["scope"] == scope
    assert structured(refused)["status"] == 403
    allowed = mcp(delegated(org.users["member"], {scope})).call_tool(tool, arguments)
    assert not allowed.is_error, allowed.content[0].text


def test_scopes_do_not_lift_the_role(org, delegated, mcp):
    viewer = mcp(delegated(org.users["viewer"], {"tasks:write", "tasks:read"}))
    result = viewer.call_tool("create_task", {"organization": str(org.organization.pk), "title": "T"})
    assert error_codes(result) == ["permission_denied"]


def test_a_token_granted_one_organization_sees_only_it(org, other_org, member_of_both, delegated, mcp, task):
    theirs = TaskFactory(organization=other_org.organization, created_by=other_org.owner, assignee=member_of_both)
    NotificationFactory(recipient=member_of_both, title="ours", organization_id=org.organization.pk)
    NotificationFactory(recipient=member_of_both, title="theirs", organization_id=other_org.organization.pk)
    client = mcp(delegated(member_of_both, {"tasks:read", "tasks:write", "reports:read"}, [org.organization.pk]))

    assert [o["id"] for o in structured(client.call_tool("list_organizations", {}))["data"]] == [
        str(org.organization.pk)
    ]
    assert [t["id"] for t in structured(client.call_tool("list_tasks", {}))["data"]] == [str(task.pk)]
    assert structured(client.call_tool("my_assigned_tasks", {}))["data"] == []
    assert [n["title"] for n in structured(client.call_tool("list_notifications", {}))["data"]] == ["ours"]
    other = str(other_org.organization.pk)
    assert error_codes(client.call_tool("get_task", {"task_id": str(theirs.pk)})) == ["not_found"]
    assert error_codes(client.call_tool("list_tasks", {"organization": other})) == ["not_found"]
    assert error_codes(client.call_tool("create_task", {"organization": other, "title": "T"})) == ["not_found"]
    assert error_codes(client.call_tool("get_organization_report", {"organization": other})) == ["not_found"]
    assert not Task.objects.filter(organization=other_org.organization, title="T").exists()

    # The same person's own session reaches both.
    everywhere = mcp(delegated(member_of_both, {"tasks:read"}))
    assert len(structured(everywhere.call_tool("list_tasks", {}))["data"]) == 2


def test_a_session_jwt_is_unrestricted(org, bearer, mcp, task):
    client = mcp(bearer(org.users["member"]))
    assert not client.call_tool("get_organization_report", {"organization": str(org.organization.pk)}).is_error
    assert not client.call_tool("comment_on_task", {"task_id": str(task.pk), "body": "hi"}).is_error
