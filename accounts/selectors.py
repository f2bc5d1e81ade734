from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Notification, User


def user_visible_to(*, viewer: User, user_id) -> User | None:
    """The user ``viewer`` may see: themself, or someone sharing an organization (superusers: anyone)."""
    from organizations.selectors import users_share_organization

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    if user.pk == viewer.pk or viewer.is_superuser or users_share_organization(viewer, user):
        return user
    return None


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The caller's in-app notifications, newest first, with what the serializer renders."""
    return Notification.objects.filter(recipient=user).select_related("actor").order_by("-created_at", "-id")


def notification_get(*, user: User, notification_id) -> Notification:
    """One of the caller's notifications; anyone else's answers 404 like an unknown id."""
    notification = notification_list(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification
