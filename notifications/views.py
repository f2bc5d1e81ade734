from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.credentials import credential_organization_ids
from config.filters import FilterBackend
from notifications import selectors, services
from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import NotificationReadAllSerializer, NotificationSerializer


class NotificationListView(ListAPIView):
    """The caller's in-app notifications, newest first; ``?unread=true`` for the unread ones only."""

    serializer_class = NotificationSerializer
    filter_backends = [FilterBackend]
    filterset_class = NotificationFilter
    # Notifications speak of tasks: reading them is reading tasks (config/permissions.py).
    required_scopes = {"GET": "tasks:read"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Notification.objects.none()
        return selectors.notification_list(
            user=self.request.user, organization_ids=credential_organization_ids(self.request)
        )

    @extend_schema(
        tags=["notifications"],
        summary="The caller's in-app notifications, newest first",
        description="What concerns the caller in their organizations: assigned, mentioned, a status changed, a "
        "comment, an import finished. `?unread=true` for the unread ones only; `?kind=` for one kind. A "
        "delegated credential sees only its organizations' notifications.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadView(APIView):
    # Marking read changes the person's inbox: a write, never done with a read-only token.
    required_scopes = {"POST": "tasks:write"}

    @extend_schema(
        request=None,
        responses=NotificationSerializer,
        tags=["notifications"],
        summary="Mark one notification read",
        description="Answers the notification with its `read_at`; marking a read one again changes nothing. "
        "Another person's notification is a 404.",
    )
    def post(self, request, notification_id):
        notification = selectors.notification_get(
            user=request.user, notification_id=notification_id, organization_ids=credential_organization_ids(request)
        )
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    required_scopes = {"POST": "tasks:write"}

    @extend_schema(
        request=None,
        responses=NotificationReadAllSerializer,
        tags=["notifications"],
        summary="Mark every unread notification read",
        description="Answers how many were marked (`count`); with a delegated credential, only those of its "
        "organizations.",
    )
    def post(self, request):
        count = services.notification_mark_all_read(
            user=request.user, organization_ids=credential_organization_ids(request)
        )
        return Response(NotificationReadAllSerializer({"count": count}).data)
