"""Organization role permission classes, for views built on ``config.viewsets.OrganizationScopedMixin``.

By the time these run, the mixin has answered 401 to anonymous callers and 404 to callers outside
the organization, and set ``view.org_access``. Each class compares the caller's ordered role
with ``>=``. On top-level endpoints without an organization in the URL, ``has_permission``
lets the request through (the list is already scoped to the caller's organizations) and
``has_object_permission`` decides once the object's organization is known.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS, BasePermission

from organizations.models import Role, role_can_manage


def _org_role(view):
    if not hasattr(view, "org_access"):
        raise ImproperlyConfigured(
            f"{type(view).__name__} uses an organization permission but not OrganizationScopedMixin."
        )
    return view.org_role


class OrgRolePermission(BasePermission):
    """Allows callers whose role in the organization is at least ``read_role`` to read, ``write_role`` to write."""

    read_role: Role = Role.VIEWER
    write_role: Role | None = None  # None: the same role as for reading

    def role_needed(self, request) -> Role:
        if request.method in SAFE_METHODS or self.write_role is None:
            return self.read_role
        return self.write_role

    def has_permission(self, request, view):
        role = _org_role(view)
        return role is None or role >= self.role_needed(request)

    def has_object_permission(self, request, view, obj):
        role = _org_role(view)
        return role is not None and role >= self.role_needed(request)


class IsOrgMember(OrgRolePermission):
    """Allows anyone in the organization, whatever their role."""

    message = "You are not a member of this organization."


class IsOrgEditorOrReadOnly(OrgRolePermission):
    """Allows everyone in the organization to read, and members, admins and owners to write."""

    write_role = Role.MEMBER
    message = "Viewers have read-only access to this organization."


class IsOrgAdmin(OrgRolePermission):
    """Allows admins and owners of the organization."""

    read_role = Role.ADMIN
    message = "Only admins and owners of this organization may do this."


class IsOrgAdminOrReadOnly(OrgRolePermission):
    """Allows everyone in the organization to read, and admins and owners to write."""

    write_role = Role.ADMIN
    message = "Only admins and owners of this organization may change this."


class IsOrgOwner(OrgRolePermission):
    """Allows owners of the organization only."""

    read_role = Role.OWNER
    message = "Only owners of this organization may do this."


class CanManageMember(BasePermission):
    """Allows admins to manage members below owner, owners to manage anyone, and anyone to remove themself."""

    message = "Admins manage members below owner; only owners manage owners."

    def has_permission(self, request, view):
        if request.method == "DELETE":
            return True  # leaving is allowed to every role; decided on the membership
        role = _org_role(view)
        return role is not None and role >= Role.ADMIN

    def has_object_permission(self, request, view, obj):
        if request.method == "DELETE" and obj.user_id == request.user.pk:
            return True
        return role_can_manage(_org_role(view), obj.role)
