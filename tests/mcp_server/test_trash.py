"""MCP tools answer as the REST API does for a deleted task: gone from lists, not_found by id (docs/api/trash.md)."""

import pytest

from tasks_app import services
from tests.mcp_server.clients import error_codes, structured

pytestmark = pytest.mark.django_db


def test_tools_do_not_see_a_deleted_task(org, bearer, mcp):
    member = org.users["member"]
    task = services.task_create(organization=org.organization, created_by=member, title="Gone", assignee=member)
    client = mcp(bearer(member))
    assert [t["id"] for t in structured(client.call_tool("my_assigned_tasks", {}))["data"]] == [str(task.pk)]
    services.task_delete(task=task, actor=member)
    assert structured(client.call_tool("my_assigned_tasks", {}))["data"] == []
    assert structured(client.call_tool("list_tasks", {}))["data"] == []
    assert error_codes(client.call_tool("get_task", {"task_id": str(task.pk)})) == ["not_found"]
