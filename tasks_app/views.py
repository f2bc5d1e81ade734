from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from config.filters import FilterBackend
from config.pagination import StandardPagination
from config.routers import UUID_PATTERN
from organizations.models import Role
from organizations.permissions import IsOrgEditorOrReadOnly, IsOrgMember
from organizations.viewsets import ORGANIZATION_ID_PARAMETER, OrganizationScopedViewSet
from tasks_app import page_cache, selectors, services
from tasks_app.filters import TaskFilter, TaskOrderingFilter
from tasks_app.permissions import IsTaskCreatorOrOrgAdmin
from tasks_app.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    TaskActivitySerializer,
    TaskBulkResultSerializer,
    TaskBulkSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskWriteSerializer,
    TrashItemSerializer,
)

COMMENT_ID = OpenApiParameter("comment_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Comment id.")
ITEM_ID = OpenApiParameter(
    "item_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The deleted task's or comment's id."
)
TRASH_TYPE = OpenApiParameter(
    "type",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["tasks", "comments"],
    description="What to list: deleted tasks (the default) or deleted comments.",
)
MENTIONED_IN = OpenApiParameter(
    "in",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["all", "task", "comments"],
    default="all",
    description="Where the mention is: in the task itself, in one of its comments, or either (`all`).",
)
ORDERING_FIELDS = ["created_at", "updated_at", "due_date", "priority", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="Tasks of every organization the caller belongs to",
        description="Newest first, paginated. Filters narrow it (`organization`, `status`, `priority`, `assignee`, "
        "`created_by`, `mentioned`, due dates); `search` finds tasks by their words (stemmed, in the "
        "organization's language, best matches first) or by substrings; `ordering` takes the fields listed. "
        "See docs/api/tasks.md.",
    ),
    retrieve=extend_schema(
        summary="One task",
        description="With its assignee, creator and mentioned people; a task of an organization the caller is not "
        "in, or in the trash, is a 404.",
    ),
    destroy=extend_schema(
        summary="Move a task to the trash (its creator or an admin)",
        description="The task vanishes at once from every list, report, search and notification and its id "
        "answers 404; its creator or an admin restores it with its comments, mentions and activity "
        "(`POST /organizations/{organization_id}/trash/tasks/{id}/restore`) for `TRASH_RETENTION_DAYS`.",
    ),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    OrganizationScopedViewSet,
):
    """Tasks, their comments and their activity, scoped to the caller's organizations."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    filter_backends = [FilterBackend, TaskOrderingFilter]
    ordering_fields = ORDERING_FIELDS
    ordering = ["-created_at"]
    permission_classes = [IsOrgEditorOrReadOnly]
    permission_classes_by_action = {"destroy": [IsTaskCreatorOrOrgAdmin]}
    patch_needs_required_fields = ("comment_detail",)  # editing a comment sends its body (config.schema says so)
    required_scopes = {
        "GET": "tasks:read",  # list, assigned, mentioned, retrieve, comments, activity
        "POST": "tasks:write",
        "PATCH": "tasks:write",
        "DELETE": "tasks:write",
        "comments POST": "comments:write",
        "bulk POST": "tasks:write",
        "comment_detail PATCH": "comments:write",
        "comment_detail DELETE": "comments:write",
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def list(self, request, *args, **kwargs):
        return self.list_of(self.get_queryset(), kept=True)

    def get_queryset(self):
        # A page reads what the list renders; one task is read whole (the services that change it notify its people).
        return selectors.task_page() if self.action == "list" else selectors.task_list()

    @extend_schema(
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
        summary="Create a task",
        description="In `organization` (members and above; viewers get 403). The assignee and people mentioned "
        "must be members (400 `not_a_member`); `@username` in the description mentions too. Those concerned are "
        "notified.",
    )
    def create(self, request):
        data = TaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        access = self.require_organization(fields.pop("organization"))
        if access.role < Role.MEMBER:
            raise PermissionDenied("Viewers have read-only access to this organization.")
        task = services.task_create(organization=access.organization, created_by=request.user, **fields)
        return Response(self.render(task), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TaskWriteSerializer,
        responses=TaskSerializer,
        summary="Edit a task",
        description="Only the fields sent change; each change is recorded in the task's activity and notifies "
        "those concerned (a new assignee, a status change, new mentions).",
    )
    def partial_update(self, request, pk=None):
        task = self.get_object()
        data = TaskWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        mentions = fields.pop("mentions", None)
        task = services.task_update(task=task, actor=request.user, mentions=mentions, **fields)
        return Response(self.render(task))

    def perform_destroy(self, instance):
        services.task_delete(task=instance, actor=self.request.user)

    def render(self, task):
        return TaskSerializer(selectors.task_list().get(pk=task.pk), context=self.get_serializer_context()).data

    @extend_schema(
        request=TaskBulkSerializer,
        responses=TaskBulkResultSerializer,
        summary="Change or delete up to 100 tasks at once",
        description="One change (`status`, `priority`, `assignee` or `due_date`) or `delete: true` for 1 to 100 "
        "tasks of one organization, all or nothing: if any id is unknown, in another organization, or not the "
        "caller's to change (deleting needs the task's creator or an admin), nothing changes and the answer is "
        "400 with one error per offending id (`field` `ids.<index>`, code `not_found` or `permission_denied`). "
        "Each changed task gets its activity entry and its organization change (audit log, webhooks); the people "
        "concerned get one summary notification each, not one per task.",
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def bulk(self, request):
        data = TaskBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        access = self.require_organization(fields["organization"])
        if access.role < Role.MEMBER:
            raise PermissionDenied("Viewers have read-only access to this organization.")
        changed = services.task_bulk_change(
            organization_id=access.organization.pk,
            actor=request.user,
            task_ids=fields["ids"],
            changes=fields.get("change"),
            delete=fields["delete"],
        )
        changed_ids = {task.pk for task in changed}
        result = {
            "changed": [task.pk for task in changed],
            "unchanged": [pk for pk in dict.fromkeys(fields["ids"]) if pk not in changed_ids],
            "tasks": [] if fields["delete"] else changed,
        }
        return Response(TaskBulkResultSerializer(result).data)

    @extend_schema(
        responses=TaskSerializer(many=True),
        summary="Tasks assigned to the caller",
        description="Across the caller's organizations, with the same filters and ordering as `GET /tasks`.",
    )
    @action(detail=False, methods=["get"])
    def assigned(self, request):
        return self.list_of(selectors.task_list_assigned(user=request.user), kept=True)

    @extend_schema(
        parameters=[MENTIONED_IN],
        responses=TaskSerializer(many=True),
        summary="Tasks that mention the caller, in the task or in its comments",
        description="Tasks whose description or `mentions` name the caller, or with a comment (not deleted) that "
        "@mentions them: `?in=task`, `?in=comments`, or both (`all`, the default). Each task once, with the "
        "task list's filters and ordering.",
    )
    @action(detail=False, methods=["get"])
    def mentioned(self, request):
        where = request.query_params.get("in") or "all"
        if where not in selectors.MENTIONED_IN:
            raise ValidationError(
                {"in": [f"Expected one of {', '.join(selectors.MENTIONED_IN)}."]}, code="invalid_choice"
            )
        return self.list_of(selectors.task_list_mentioning(user=request.user, where=where))

    def list_of(self, queryset, *, kept: bool = False):
        """A page of ``queryset``, filtered. ``kept``: served from the page cache while nothing it shows has
        changed (``tasks_app.page_cache``: tasks, their mentions, people's names; ``/tasks/mentioned`` also shows
        what comments say, which no version follows, so it is always computed)."""
        queryset = self.filter_queryset(queryset)
        entry = page_cache.KeptPage.of(self) if kept else None
        if entry is not None and (response := entry.response()) is not None:
            return response
        response = self.get_paginated_response(TaskSerializer(self.paginate_queryset(queryset), many=True).data)
        if entry is not None:
            entry.keep(response)
        return response

    @extend_schema(
        methods=["GET"],
        responses=CommentSerializer(many=True),
        summary="Comments on a task",
        description="Oldest first, paginated, with each author; comments in the trash are left out.",
    )
    @extend_schema(
        methods=["POST"],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
        summary="Comment on a task",
        description="Members and above. `@username` in the body mentions that member; the task's assignee, "
        "creator and the people mentioned are notified (never the author).",
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        task = self.get_object()
        if request.method == "POST":
            data = CommentCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = services.comment_create(task=task, author=request.user, body=data.validated_data["body"])
            comment = selectors.comment_list(task=task).get(pk=comment.pk)
            return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        return self.paginated(selectors.comment_list(task=task), CommentSerializer)

    @extend_schema(
        methods=["PATCH"],
        parameters=[COMMENT_ID],
        request=CommentCreateSerializer,
        responses=CommentSerializer,
        summary="Edit a comment (its author)",
        description="Only its author, while a member (not a viewer), edits a comment; anyone else 403, admins "
        "included. `edited_at` records when; the task's activity records `comment_edited` with the old and the "
        "new text. Its @mentions are read again: only the people it did not mention before are notified.",
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[COMMENT_ID],
        responses={204: None},
        summary="Move a comment to the trash (its author or an admin)",
        description="Its author (a member, not a viewer) or an admin; anyone else 403. The comment vanishes from "
        "the task's comments and from notifications; it is restored from the organization's trash. The task's "
        "activity records `comment_deleted`.",
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=f"comments/(?P<comment_id>{UUID_PATTERN})",
        url_name="comment-detail",
        filter_backends=[],
    )
    def comment_detail(self, request, pk=None, comment_id=None):
        task = self.get_object()
        comment = selectors.comment_get(task=task, comment_id=comment_id)
        if comment is None:
            raise NotFound()
        if request.method == "DELETE":
            services.comment_delete(comment=comment, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.comment_edit_require(comment=comment, actor=request.user)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_update(comment=comment, actor=request.user, body=data.validated_data["body"])
        return Response(CommentSerializer(selectors.comment_list(task=task).get(pk=comment.pk)).data)

    @extend_schema(
        responses=TaskActivitySerializer(many=True),
        summary="Who changed what, and when",
        description="The task's activity, oldest first, paginated: each change's actor, verb, field, old and new "
        "value.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], permission_classes=[IsOrgMember])
    def activity(self, request, pk=None):
        task = self.get_object()
        return self.paginated(selectors.activity_list(task=task), TaskActivitySerializer)

    def paginated(self, queryset, serializer_class):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(tags=["trash"], parameters=[ORGANIZATION_ID_PARAMETER])
class TrashViewSet(OrganizationScopedViewSet):
    """An organization's deleted tasks and comments, and bringing them back (docs/api/trash.md).

    Admins see and restore everything; members and viewers see what they created or wrote, and members
    restore it. The organization is the URL's; the deleted rows are read through ``all_objects`` by the
    trash selectors only.
    """

    permission_classes = [IsOrgMember]
    required_scopes = {"list": "tasks:read", "restore_task": "tasks:write", "restore_comment": "comments:write"}
    serializer_class = TrashItemSerializer
    pagination_class = StandardPagination

    def get_queryset(self):
        return selectors.task_trash_list(organization_id=None).none()

    @extend_schema(
        parameters=[TRASH_TYPE],
        responses=TrashItemSerializer(many=True),
        summary="The organization's trash: deleted tasks or comments, last deleted first",
        description="Admins see every deleted task and comment; others only the tasks they created and the "
        "comments they wrote. A deleted task's comments are not listed: they come back with it. Items stay "
        "until `purge_after` (`TRASH_RETENTION_DAYS`).",
    )
    def list(self, request, **kwargs):
        kind = request.query_params.get("type", "tasks")
        if kind not in ("tasks", "comments"):
            raise ValidationError({"type": ["Expected tasks or comments."]})
        own = None if self.org_role >= Role.ADMIN else request.user
        organization_id = self.organization.pk
        if kind == "tasks":
            items = selectors.task_trash_list(organization_id=organization_id, user=own)
        else:
            items = selectors.comment_trash_list(organization_id=organization_id, user=own)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(TrashItemSerializer(page, many=True).data)

    @extend_schema(
        parameters=[ITEM_ID],
        request=None,
        responses={200: TaskSerializer},
        summary="Restore a deleted task with its comments, mentions and activity (its creator or an admin)",
        description="404 for a task not in this organization's trash (never deleted, purged, or another's).",
    )
    def restore_task(self, request, item_id, **kwargs):
        task = services.task_restore(organization_id=self.organization.pk, task_id=item_id, actor=request.user)
        return Response(TaskSerializer(selectors.task_list().get(pk=task.pk)).data)

    @extend_schema(
        parameters=[ITEM_ID],
        request=None,
        responses={200: CommentSerializer},
        summary="Restore a deleted comment (its author or an admin)",
        description="409 `task_deleted` when its task is deleted itself: restore the task, which brings it back.",
    )
    def restore_comment(self, request, item_id, **kwargs):
        comment = services.comment_restore(organization_id=self.organization.pk, comment_id=item_id, actor=request.user)
        comment = selectors.comment_list(task=comment.task).get(pk=comment.pk)
        return Response(CommentSerializer(comment).data)
