from django.db.models import QuerySet
from django.http import Http404

from notifications.models import Notification


def notification_list(*, user) -> QuerySet[Notification]:
    """The caller's in-app notifications, newest first, with what the serializer renders."""
    return Notification.objects.filter(recipient=user).select_related("actor").order_by("-created_at", "-id")


def notification_get(*, user, notification_id) -> Notification:
    """One of the caller's notifications; anyone else's answers 404 like an unknown id."""
    notification = notification_list(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification
