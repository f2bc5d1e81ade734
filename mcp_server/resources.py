"""The MCP resources: a task, and an organization's summary, read as JSON by URI.

Resource templates (``task://{task_id}``, ``organization://{organization_id}/summary``): a client
reads one by its URI. The same rules as the tools (``mcp_server.access``); both need ``tasks:read``.
A refusal is a JSON-RPC error whose ``data`` is the REST API's error envelope.
"""

import inspect

from django.db.models import Count, Q

from mcp_server import access
from mcp_server.server import as_resource
from mcp_server.tools import task_detail
from organizations.selectors import organization_list
from organizations.serializers import OrganizationSerializer
from reports.ranges import today
from tasks_app import selectors as task_selectors
from tasks_app.models import Status

TASK_URI = "task://{task_id}"
ORGANIZATION_SUMMARY_URI = "organization://{organization_id}/summary"


def task_resource(request, task_id: str) -> dict:
    """A task with its latest comments and activity (as the get_task tool)."""
    access.require_scope(request, "tasks:read")
    task, _access = access.task_get(request, task_id)
    return task_detail(task)


def organization_summary(request, organization_id: str) -> dict:
    """An organization at a glance: its name, your role, its member count, and its tasks by status,
    with how many are overdue and how many open ones are assigned to you."""
    access.require_scope(request, "tasks:read")
    organization_access = access.organization_access(request, organization_id)
    organization = organization_list(user=request.user).get(pk=organization_access.organization.pk)
    tasks = task_selectors.task_list_of_organization(organization_id=organization.pk)
    open_tasks = ~Q(status=Status.DONE)
    counts = tasks.aggregate(
        total=Count("pk"),
        **{label: Count("pk", filter=Q(status=value)) for value, label in Status.choices},
        overdue=Count("pk", filter=open_tasks & Q(due_date__lt=today())),
        assigned_to_me_open=Count("pk", filter=open_tasks & Q(assignee=request.user)),
    )
    return {
        "organization": OrganizationSerializer(organization).data,
        "tasks": {
            "total": counts["total"],
            "by_status": {label: counts[label] for _value, label in Status.choices},
            "overdue": counts["overdue"],
            "assigned_to_me_open": counts["assigned_to_me_open"],
        },
    }


def register(server) -> None:
    server.resource(
        TASK_URI, name="task", title="A task", description=inspect.getdoc(task_resource), mime_type="application/json"
    )(as_resource(task_resource))
    server.resource(
        ORGANIZATION_SUMMARY_URI,
        name="organization_summary",
        title="An organization's summary",
        description=inspect.getdoc(organization_summary),
        mime_type="application/json",
    )(as_resource(organization_summary))
