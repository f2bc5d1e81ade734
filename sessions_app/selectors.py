from django.db.models import QuerySet

from sessions_app.models import UserSession


def current_session(request) -> UserSession | None:
    """The session behind the request's access token (set by ``SessionJWTAuthentication``)."""
    sid = getattr(request, "session_id", None)
    if sid is None:
        return None
    return UserSession.objects.select_related("user").filter(pk=sid).first()


def sessions_of(user) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).active().order_by("-last_seen_at")


def sessions_for_admin() -> QuerySet[UserSession]:
    return UserSession.objects.select_related("user").order_by("-created_at")
