from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.filters import StableOrderingFilter
from config.pagination import StandardPagination
from organizations.models import Role
from organizations.permissions import IsOrgEditorOrReadOnly, IsOrgMember
from organizations.viewsets import OrganizationScopedViewSet
from tasks_app import selectors, services
from tasks_app.filters import TaskFilter
from tasks_app.permissions import IsTaskCreatorOrOrgAdmin
from tasks_app.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    TaskActivitySerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskWriteSerializer,
)

ORDERING_FIELDS = ["created_at", "updated_at", "due_date", "priority", "status"]


@extend_schema_view(
    list=extend_schema(summary="Tasks of every organization the caller belongs to"),
    retrieve=extend_schema(summary="One task"),
    destroy=extend_schema(summary="Delete a task (its creator or an admin)"),
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
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ORDERING_FIELDS
    ordering = ["-created_at"]
    permission_classes = [IsOrgEditorOrReadOnly]
    permission_classes_by_action = {"destroy": [IsTaskCreatorOrOrgAdmin]}
    required_scopes = {
        "GET": "tasks:read",  # list, assigned, mentioned, retrieve, comments, activity
        "POST": "tasks:write",
        "PATCH": "tasks:write",
        "DELETE": "tasks:write",
        "comments POST": "comments:write",
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.task_list()

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer}, summary="Create a task")
    def create(self, request):
        data = TaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        access = self.require_organization(fields.pop("organization"))
        if access.role < Role.MEMBER:
            raise PermissionDenied("Viewers have read-only access to this organization.")
        task = services.task_create(organization=access.organization, created_by=request.user, **fields)
        return Response(self.render(task), status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskWriteSerializer, responses=TaskSerializer, summary="Edit a task")
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

    @extend_schema(responses=TaskSerializer(many=True), summary="Tasks assigned to the caller")
    @action(detail=False, methods=["get"])
    def assigned(self, request):
        return self.list_of(selectors.task_list_assigned(user=request.user))

    @extend_schema(responses=TaskSerializer(many=True), summary="Tasks that mention the caller")
    @action(detail=False, methods=["get"])
    def mentioned(self, request):
        return self.list_of(selectors.task_list_mentioning(user=request.user))

    def list_of(self, queryset):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True), summary="Comments on a task")
    @extend_schema(
        methods=["POST"], request=CommentCreateSerializer, responses={201: CommentSerializer}, summary="Comment"
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

    @extend_schema(responses=TaskActivitySerializer(many=True), summary="Who changed what, and when")
    @action(detail=True, methods=["get"], filter_backends=[], permission_classes=[IsOrgMember])
    def activity(self, request, pk=None):
        task = self.get_object()
        return self.paginated(selectors.activity_list(task=task), TaskActivitySerializer)

    def paginated(self, queryset, serializer_class):
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)
