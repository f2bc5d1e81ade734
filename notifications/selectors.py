from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils.module_loading import import_string

from notifications.models import Notification


def notification_list(*, user, organization_ids=None) -> QuerySet[Notification]:
    """The caller's in-app notifications, newest first, with what the serializer renders.

    ``organization_ids``: only the notifications about those organizations (a delegated credential
    limited to some; notifications about no organization are left out too); None for all.
    Notifications about a deleted organization, or about what a producing app deleted
    (``NOTIFICATION_VISIBILITY_FILTERS``: a deleted task or comment), are left out.
    """
    notifications = Notification.objects.filter(recipient=user).exclude(organization__deleted_at__isnull=False)
    if organization_ids is not None:
        notifications = notifications.filter(organization_id__in=organization_ids)
    for path in settings.NOTIFICATION_VISIBILITY_FILTERS:
        notifications = import_string(path)(notifications)
    return notifications.select_related("actor").order_by("-created_at", "-id")


def notification_get(*, user, notification_id, organization_ids=None) -> Notification:
    """One of the caller's notifications; anyone else's answers 404 like an unknown id."""
    notification = notification_list(user=user, organization_ids=organization_ids).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification
