from django.db.models import QuerySet

from sessions_app.models import UserSession


def session_get_current(*, request) -> UserSession | None:
    """The session behind the request's access token (set by ``SessionJWTAuthentication``)."""
    sid = getattr(request, "session_id", None)
    if sid is None:
        return None
    return UserSession.objects.select_related("user").filter(pk=sid).first()


def session_list(*, user) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).active().order_by("-last_seen_at")


def session_list_for_admin() -> QuerySet[UserSession]:
    return UserSession.objects.select_related("user").order_by("-created_at")
