"""Permission classes that know no domain."""

from rest_framework.permissions import BasePermission


class IsSuperuser(BasePermission):
    """Allows superusers only."""

    message = "Only superusers may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_superuser)
