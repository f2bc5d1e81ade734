from rest_framework.permissions import BasePermission

from tasks_app.services import task_delete_allowed


class IsTaskCreatorOrOrgAdmin(BasePermission):
    """Allows the task's creator (while still a member who may edit) and the organization's admins and owners."""

    message = "Only the task's creator or an admin may delete it."

    def has_permission(self, request, view):
        return True  # decided on the task, once its organization is known

    def has_object_permission(self, request, view, obj):
        role = view.org_role
        if role is None:
            return False
        return task_delete_allowed(task=obj, user=request.user, role=role)
