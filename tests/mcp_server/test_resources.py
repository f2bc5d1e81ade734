"""The resources: ``task://{task_id}`` and ``organization://{organization_id}/summary``, read with the
official client; a refusal is a JSON-RPC error carrying the REST API's error envelope."""

import datetime
import json

import pytest
from mcp.shared.exceptions import MCPError

from tasks_app import services as task_services
from tasks_app.models import Status
from tests.factories import CommentFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(org):
    return task_services.task_create(
        organization=org.organization, created_by=org.users["admin"], title="Plan", assignee=org.users["viewer"]
    )


def read_json(client, uri):
    result = client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)


def test_resource_templates_are_listed(org, bearer, mcp):
    templates = mcp(bearer(org.users["viewer"])).list_resource_templates().resource_templates
    assert {t.uri_template for t in templates} == {"task://{task_id}", "organization://{organization_id}/summary"}
    assert all(t.description for t in templates)


def test_read_a_task(org, bearer, mcp, task):
    CommentFactory(task=task, author=org.users["admin"], body="First")
    data = read_json(mcp(bearer(org.users["viewer"])), f"task://{task.pk}")
    assert data["task"]["title"] == "Plan"
    assert [c["body"] for c in data["comments"]] == ["First"]
    assert data["activity"][0]["verb"] == "created"


def test_read_an_organization_summary(org, bearer, mcp, task):
    TaskFactory(organization=org.organization, created_by=org.owner, status=Status.DONE)
    TaskFactory(organization=org.organization, created_by=org.owner, due_date=datetime.date(2000, 1, 1))
    data = read_json(mcp(bearer(org.users["viewer"])), f"organization://{org.organization.pk}/summary")
    assert data["organization"]["name"] == "Acme"
    assert data["organization"]["role"] == "viewer"
    assert data["organization"]["member_count"] == 4
    assert data["tasks"] == {
        "total": 3,
        "by_status": {"todo": 2, "in_progress": 0, "done": 1},
        "overdue": 1,
        "assigned_to_me_open": 1,
    }


@pytest.mark.parametrize("uri", ["task://{task}", "organization://{org}/summary"])
def test_another_organizations_resource_is_not_found(other_org, bearer, mcp, task, uri):
    uri = uri.format(task=task.pk, org=task.organization_id)
    with pytest.raises(MCPError) as raised:
        mcp(bearer(other_org.owner)).read_resource(uri)
    assert raised.value.error.code == -32602
    assert raised.value.error.data["errors"][0]["code"] == "not_found"


def test_a_resource_needs_tasks_read(org, delegated, mcp, task):
    with pytest.raises(MCPError) as raised:
        mcp(delegated(org.users["viewer"], {"reports:read"})).read_resource(f"task://{task.pk}")
    assert raised.value.error.data["errors"][0]["code"] == "insufficient_scope"
    assert read_json(mcp(delegated(org.users["viewer"], {"tasks:read"})), f"task://{task.pk}")["task"]["id"] == str(
        task.pk
    )
