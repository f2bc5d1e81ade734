"""The MCP tools: the REST API's task, comment, notification and report endpoints, for a model.

Each tool is ``fn(request, **arguments) -> data``, wrapped by ``server.as_tool``. It asks
``mcp_server.access`` for the scope, the organization and the role (the REST API's rules and
answers), validates with the REST API's serializers and filters (so a validation error names the
same field with the same code), and calls the same selectors and services. Argument names are the
REST API's field names, so the errors' ``field`` is an argument's name.

Scopes: reads of tasks (and of one's notifications) need ``tasks:read``; creating and editing tasks
``tasks:write``; commenting ``comments:write``; reports ``reports:read``. Listing one's
organizations needs no scope: a credential sees the organizations it was granted.
"""

import datetime
import inspect
from contextlib import contextmanager
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from mcp_types import ToolAnnotations
from pydantic import Field
from rest_framework.exceptions import ValidationError as DRFValidationError

from config import statements
from config.credentials import credential_organization_ids
from config.pagination import merged_count, merged_rows, paginate
from mcp_server import access
from mcp_server.server import as_tool
from notifications import selectors as notification_selectors
from notifications.serializers import NotificationSerializer
from organizations.selectors import organization_list
from organizations.serializers import OrganizationSerializer
from reports import selectors as report_selectors
from reports.ranges import report_range
from reports.serializers import ReportQuerySerializer, ReportSerializer
from tasks_app import selectors as task_selectors
from tasks_app import services as task_services
from tasks_app.filters import TaskFilter
from tasks_app.models import Priority, Status
from tasks_app.search import RANK as SEARCH_RANK
from tasks_app.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    TaskActivitySerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskWriteSerializer,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# The report's REST query fields, as the tool names them ("from" is a Python keyword).
REPORT_RANGE_ARGUMENTS = {"from": "date_from", "to": "date_to"}
# How many comments and activity entries get_task and the task resource include, newest kept.
DETAIL_LIMIT = 50

StatusLabel = Literal["todo", "in_progress", "done"]
PriorityLabel = Literal["low", "medium", "high", "urgent"]
# The labels the REST API speaks, spelled out for the tools' JSON Schema; they must stay the models'.
if set(StatusLabel.__args__) != set(Status.labels) or set(PriorityLabel.__args__) != set(Priority.labels):
    raise ImportError("mcp_server.tools: StatusLabel/PriorityLabel differ from tasks_app.models' labels")

OrganizationId = Annotated[str, Field(description="An organization's id (UUID), from list_organizations.")]
TaskId = Annotated[str, Field(description="The task's id (UUID).")]
Page = Annotated[int, Field(ge=1, description="Page number, from 1.")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}.")]
OptionalOrganization = Annotated[
    str | None, Field(description="Only this organization's tasks (its UUID); default: every organization.")
]
SEARCH_DESCRIPTION = (
    'Words of the title or description, in web search syntax ("a phrase", -excluded, or); each word also '
    "matches as a substring of three characters or more (any case). Best matches first."
)
OptionalStatus = Annotated[StatusLabel | None, Field(description="Only tasks in this status.")]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
EDIT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


# --- Helpers ---------------------------------------------------------------------------------


def _page(queryset, serializer, *, page: int, page_size: int, read=None, count=None) -> dict:
    """One page as the REST API shapes it (``config.pagination.paginate``): ``{"data": [...], "pagination": {...}}``."""
    rows, pagination = paginate(queryset, number=page, size=min(page_size, MAX_PAGE_SIZE), read=read, count=count)
    return {"data": [serializer(item) for item in rows], "pagination": pagination}


def _task(task) -> dict:
    return TaskSerializer(task).data


def _filtered_tasks(request, queryset, filters: dict):
    """``queryset`` (already scoped) through the REST list's ``TaskFilter``; an organization the caller
    cannot reach is ``not_found`` rather than an empty list."""
    filters = {name: value for name, value in filters.items() if value not in (None, "")}
    if "organization" in filters:
        access.organization_access(request, filters["organization"], field="organization")
    filterset = TaskFilter(data=filters, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors.as_data())
    tasks = filterset.qs
    best_first = [f"-{SEARCH_RANK}"] if SEARCH_RANK in statements.annotated(tasks) else []
    return tasks.order_by(*best_first, "-created_at", "-pk")


def task_detail(task) -> dict:
    comments = task_selectors.comment_list(task=task).order_by("-created_at", "-id")
    activity = task_selectors.activity_list(task=task)
    return {
        "task": _task(task),
        "comments": CommentSerializer(reversed(comments[:DETAIL_LIMIT]), many=True).data,
        "comment_count": comments.count(),
        "activity": TaskActivitySerializer(activity.latest(DETAIL_LIMIT), many=True).data,
        "activity_count": activity.count(),
    }


def _rendered(task) -> dict:
    return _task(task_selectors.task_list().get(pk=task.pk))


@contextmanager
def _fields_renamed(names: dict):
    """Validation errors of REST fields (``from``) named as the tool's arguments (``date_from``)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({names.get(field, field): errors for field, errors in exc.error_dict.items()}) from exc
    except DRFValidationError as exc:
        if not isinstance(exc.detail, dict):
            raise
        raise DRFValidationError({names.get(field, field): errors for field, errors in exc.detail.items()}) from exc


def _validated(serializer_class, data: dict, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Organizations ---------------------------------------------------------------------------


def list_organizations(request) -> dict:
    """The organizations you can work in through this connection, with your role in each and its
    member count. Use their ids in the other tools."""
    organizations = organization_list(user=request.user).filter(pk__in=access.visible_organization_ids(request))
    return {"data": OrganizationSerializer(organizations, many=True).data}


# --- Tasks -----------------------------------------------------------------------------------


# A tool's keyword arguments are its input schema, one per REST filter or field, hence their number.
def list_tasks(  # noqa: PLR0913
    request,
    organization: OptionalOrganization = None,
    status: OptionalStatus = None,
    priority: Annotated[PriorityLabel | None, Field(description="Only tasks of this priority.")] = None,
    assignee: Annotated[str | None, Field(description="Only tasks assigned to this user (UUID).")] = None,
    created_by: Annotated[str | None, Field(description="Only tasks this user (UUID) created.")] = None,
    mentioned: Annotated[str | None, Field(description="Only tasks that mention this user (UUID).")] = None,
    due_before: Annotated[datetime.date | None, Field(description="Only tasks due on or before this day.")] = None,
    due_after: Annotated[datetime.date | None, Field(description="Only tasks due on or after this day.")] = None,
    search: Annotated[
        str | None,
        Field(max_length=200, description=SEARCH_DESCRIPTION),
    ] = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict:
    """List tasks of your organizations, newest first, with the REST API's filters. Answers
    ``{"data": [task, ...], "pagination": {...}}``; ask for the next page while ``has_next``."""
    access.require_scope(request, "tasks:read")
    filters = {
        "organization": organization,
        "status": status,
        "priority": priority,
        "assignee": assignee,
        "created_by": created_by,
        "mentioned": mentioned,
        "due_before": due_before,
        "due_after": due_after,
        "search": search,
    }
    organization_ids = access.visible_organization_ids(request)
    tasks = _filtered_tasks(request, access.tasks_visible(request, organization_ids), filters)
    if organization:  # reachable (checked by _filtered_tasks): the merge walks that organization alone
        organization_ids = [access.as_uuid(organization, field="organization")]

    def read(queryset, offset, limit):  # each organization's first rows, merged (as GET /tasks reads them)
        return merged_rows(queryset, field="organization", values=organization_ids, offset=offset, limit=limit)

    def count(queryset, limit):  # and counted organization by organization
        return merged_count(queryset, field="organization", values=organization_ids, limit=limit)

    return _page(tasks, _task, page=page, page_size=page_size, read=read, count=count)


def search_tasks(
    request,
    search: Annotated[
        str,
        Field(min_length=1, max_length=200, description=SEARCH_DESCRIPTION),
    ],
    organization: OptionalOrganization = None,
    status: OptionalStatus = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict:
    """Find tasks by the words of their title or description (stemmed in the organization's language: "deploying"
    finds "deployment"; "quoted phrases", -excluded, or), best matches first, or by every term as a substring
    (any case). The same as list_tasks with ``search``."""
    return list_tasks(request, organization=organization, status=status, search=search, page=page, page_size=page_size)


def get_task(request, task_id: TaskId) -> dict:
    """One task with its comments and its activity (who changed what, when): the latest
    50 of each, oldest first, and their total counts."""
    access.require_scope(request, "tasks:read")
    task, _access = access.task_get(request, task_id)
    return task_detail(task)


def create_task(
    request,
    organization: OrganizationId,
    title: Annotated[str, Field(description="A short title, at most 200 characters.")],
    description: Annotated[
        str | None, Field(description="Details (at most 10,000 characters); @username mentions a member.")
    ] = None,
    status: Annotated[StatusLabel | None, Field(description="Default: todo.")] = None,
    priority: Annotated[PriorityLabel | None, Field(description="Default: medium.")] = None,
    assignee: Annotated[str | None, Field(description="Assign to this member of the organization (user UUID).")] = None,
    due_date: Annotated[datetime.date | None, Field(description="The day it is due (YYYY-MM-DD).")] = None,
    mentions: Annotated[
        list[str] | None, Field(description="Members (user UUIDs) to mention, besides @usernames in the description.")
    ] = None,
) -> dict:
    """Create a task in an organization where you are a member, admin or owner (viewers only read).
    Its assignee and the people it mentions are notified. Answers the task."""
    access.require_scope(request, "tasks:write")
    data = {
        "organization": organization,
        "title": title,
        "description": description,
        "status": status,
        "priority": priority,
        "assignee": assignee,
        "due_date": due_date,
        "mentions": mentions,
    }
    fields = _validated(TaskCreateSerializer, {name: value for name, value in data.items() if value is not None})
    organization_access = access.organization_access(request, fields.pop("organization"), field="organization")
    access.require_editor(organization_access)
    task = task_services.task_create(organization=organization_access.organization, created_by=request.user, **fields)
    return _rendered(task)


def update_task(  # noqa: PLR0913 - one argument per editable field, as list_tasks
    request,
    task_id: TaskId,
    title: Annotated[str | None, Field(description="A new title.")] = None,
    description: Annotated[str | None, Field(description="A new description; @username mentions a member.")] = None,
    status: Annotated[StatusLabel | None, Field(description="A new status.")] = None,
    priority: Annotated[PriorityLabel | None, Field(description="A new priority.")] = None,
    assignee: Annotated[str | None, Field(description="Assign to this member (user UUID).")] = None,
    unassign: Annotated[bool, Field(description="true: remove the assignee.")] = False,
    due_date: Annotated[datetime.date | None, Field(description="A new due day (YYYY-MM-DD).")] = None,
    clear_due_date: Annotated[bool, Field(description="true: remove the due date.")] = False,
    mentions: Annotated[
        list[str] | None, Field(description="Replace the explicitly mentioned members (user UUIDs).")
    ] = None,
) -> dict:
    """Change a task: only the fields you give change, each recorded in its activity. Members,
    admins and owners of its organization may edit (viewers only read). Answers the task."""
    access.require_scope(request, "tasks:write")
    task, organization_access = access.task_get(request, task_id)
    access.require_editor(organization_access)
    data = {
        "title": title,
        "description": description,
        "status": status,
        "priority": priority,
        "assignee": assignee,
        "due_date": due_date,
        "mentions": mentions,
    }
    data = {name: value for name, value in data.items() if value is not None}
    if unassign:
        data["assignee"] = None
    if clear_due_date:
        data["due_date"] = None
    fields = _validated(TaskWriteSerializer, data, partial=True)
    mention_list = fields.pop("mentions", None)
    task = task_services.task_update(task=task, actor=request.user, mentions=mention_list, **fields)
    return _rendered(task)


def comment_on_task(
    request,
    task_id: TaskId,
    body: Annotated[str, Field(description="The comment (at most 5,000 characters); @username mentions a member.")],
) -> dict:
    """Comment on a task as yourself (members, admins and owners; viewers only read). The task's
    creator, assignee and the members you @mention are notified. Answers the comment."""
    access.require_scope(request, "comments:write")
    task, organization_access = access.task_get(request, task_id)
    access.require_editor(organization_access)
    fields = _validated(CommentCreateSerializer, {"body": body})
    comment = task_services.comment_create(task=task, author=request.user, body=fields["body"])
    return CommentSerializer(task_selectors.comment_list(task=task).get(pk=comment.pk)).data


def my_assigned_tasks(
    request,
    organization: OptionalOrganization = None,
    status: OptionalStatus = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict:
    """Tasks assigned to you, newest first (``status: "todo"`` or ``"in_progress"`` for what is left to do)."""
    return _my_tasks(request, {"assignee_id": request.user.pk}, organization, status, page, page_size)


def my_mentioned_tasks(
    request,
    organization: OptionalOrganization = None,
    status: OptionalStatus = None,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict:
    """Tasks that mention you (in their description or explicitly), newest first."""
    return _my_tasks(request, {"mention_links__user_id": request.user.pk}, organization, status, page, page_size)


def _my_tasks(request, relation: dict, organization, status, page, page_size) -> dict:
    access.require_scope(request, "tasks:read")
    tasks = access.tasks_visible(request).filter(**relation)
    tasks = _filtered_tasks(request, tasks, {"organization": organization, "status": status})
    return _page(tasks, _task, page=page, page_size=page_size)


# --- Notifications and reports ---------------------------------------------------------------


def list_notifications(
    request,
    unread_only: Annotated[bool, Field(description="true: only the ones you have not read.")] = False,
    page: Page = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict:
    """Your in-app notifications (assigned, mentioned, status changed, new comment, imports),
    newest first. Reading them here does not mark them read."""
    access.require_scope(request, "tasks:read")
    notifications = notification_selectors.notification_list(user=request.user)
    granted = credential_organization_ids(request)
    if granted is not None:  # a credential limited to some organizations sees only theirs
        notifications = notifications.filter(organization_id__in=granted)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return _page(notifications, lambda item: NotificationSerializer(item).data, page=page, page_size=page_size)


def get_organization_report(
    request,
    organization: OrganizationId,
    date_from: Annotated[
        datetime.date | None,
        Field(description="First day (YYYY-MM-DD). Default: the Monday 11 weeks before to's week."),
    ] = None,
    date_to: Annotated[
        datetime.date | None, Field(description="Last day, included (YYYY-MM-DD). Default: today.")
    ] = None,
) -> dict:
    """An organization's report, as GET /reports/{organization_id}: totals (open, done, overdue...),
    counts by status, priority and assignee, weekly created/completed counts, and cycle time."""
    access.require_scope(request, "reports:read")
    organization_access = access.organization_access(request, organization, field="organization")
    with _fields_renamed(REPORT_RANGE_ARGUMENTS):
        query = _validated(ReportQuerySerializer, {"from": date_from, "to": date_to})
        period = report_range(date_from=query.get("from"), date_to=query.get("to"))
    report = report_selectors.report_summary(organization=organization_access.organization, report_range=period)
    return ReportSerializer(report).data


TOOLS = {
    list_organizations: ("List my organizations", READ_ONLY),
    list_tasks: ("List tasks", READ_ONLY),
    search_tasks: ("Search tasks", READ_ONLY),
    get_task: ("Get a task with its comments and activity", READ_ONLY),
    create_task: ("Create a task", WRITE),
    update_task: ("Update a task", EDIT),
    comment_on_task: ("Comment on a task", WRITE),
    my_assigned_tasks: ("My assigned tasks", READ_ONLY),
    my_mentioned_tasks: ("Tasks that mention me", READ_ONLY),
    list_notifications: ("My notifications", READ_ONLY),
    get_organization_report: ("An organization's report", READ_ONLY),
}


def register(server) -> None:
    for fn, (title, annotations) in TOOLS.items():
        server.add_tool(
            as_tool(fn), name=fn.__name__, title=title, description=inspect.getdoc(fn), annotations=annotations
        )
