"""The base for every API view of data that belongs to an organization.

Organizations, members, invitations, tasks, imports and reports all inherit
``OrganizationScopedViewSet`` (or mix ``OrganizationScopedMixin`` into another DRF generic view), so
that no view can forget the tenant boundary. The methods that enforce it are protected: a subclass
that overrides one fails at import (``ProtectedMethodError``), as PostHog's tenant mixin does.
Subclasses extend through ``get_queryset`` (what to list), the permission classes, and the class
settings below. For each request, in this order:

1. **Authentication.** An anonymous caller gets 401.
2. **Membership, before anything else.** When the URL names an organization
   (``organization_url_kwarg``, e.g. ``/organizations/<uuid:pk>/members``), it is loaded with the
   caller's membership. A caller who does not belong to it gets **404, exactly as for an id that
   does not exist**: the API never confirms that another organization exists. Superusers may act
   on any organization, as owners. The result is ``view.org_access`` (organization, membership
   or None, effective ``role``), also ``view.organization`` and ``view.org_role``.
   When the URL also names an object (``lookup_url_kwarg``), it is looked up in the scoped
   queryset now, so an id from another organization is a 404 whatever the caller's role.
3. **The view's permission classes** (``permission_classes``, or per action
   ``permission_classes_by_action``) decide by role: ``organizations.permissions.IsOrgAdmin``
   and friends read ``view.org_role``, an ordered ``Role`` compared with ``>=``.
4. **Querysets are scoped in ``filter_queryset``**, which list and ``get_object`` both go
   through, whatever ``get_queryset`` returns: to the URL's organization, or, for top-level
   endpoints without one (``GET /tasks``), to the organizations the caller belongs to. An object
   of another organization is therefore a 404 too.
5. **Top-level objects** (``/tasks/{id}``): the organization is taken from the object
   (``organization_field``) before object permissions run, so the same permission classes work.
6. **An organization that requires a second factor** (``Organization.require_mfa``): whoever reaches
   it through steps 2 or 5 without a confirmed second factor gets 403 ``mfa_required`` (superusers
   too: the requirement protects the organization's data from a stolen password, whoever's it is),
   and top-level lists leave its rows out. A view opens an action to such a member through
   ``allowed_without_second_factor`` (listing one's organizations, leaving one), so they can see the
   requirement and act on it; enrolment (``/users/me/mfa``) is not organization-scoped at all.
7. **A delegated credential** (a personal access token, an OAuth access token: ``config.credentials``)
   reaches only the organizations it was granted, and only those the person belongs to (a superuser's
   token gets no superuser reach): any other answers 404 in step 2 or 5, exactly as for a non-member,
   and top-level lists leave it out. Its scopes are checked by ``config.permissions.TokenScope``,
   which runs before the view's role classes and reads the view's ``required_scopes``. The person's
   current role still applies on top: a token never does more than its person may do now.

Subclass settings:

- ``organization_field``: path from the queryset's model to its organization, in ORM lookup
  syntax (``"organization"``, ``"task__organization"``); None when the model is ``Organization``.
- ``permission_classes`` / ``permission_classes_by_action``: role checks on top of steps 1-2.

A top-level *create* names its organization in the body: call ``self.require_organization(id)``
with it, which applies step 2 (404) and returns the access for a role check.
"""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated

from config.conditional import PreconditionMixin
from config.credentials import credential_organization_ids, is_delegated
from config.errors import Forbidden
from config.filters import MultipleValuesWidget
from config.pagination import count_rows, merged_count, merged_rows
from config.permissions import TokenScope
from mfa import selectors as mfa_selectors
from organizations import access_cache
from organizations.models import Organization
from organizations.selectors import OrganizationAccess, organization_access_get

# The URL keyword that names the organization, in every URL under one: ``<uuid:organization_id>``.
# Absent from a URL's kwargs, the view is top-level and scoped to the caller's organizations.
ORGANIZATION_URL_KWARG = "organization_id"
# Its schema, for ``@extend_schema(parameters=[ORGANIZATION_ID_PARAMETER])`` on views under an organization.
ORGANIZATION_ID_PARAMETER = OpenApiParameter(
    ORGANIZATION_URL_KWARG, OpenApiTypes.UUID, OpenApiParameter.PATH, description="Organization id."
)

# The methods that enforce the tenant boundary; a subclass may not override them.
PROTECTED_METHODS = (
    "check_permissions",
    "require_organization",
    "credential_reaches",
    "is_object_request",
    "get_scoped_object",
    "get_object",
    "check_object_permissions",
    "organization_id_of",
    "filter_queryset",
    "scope_queryset",
    "get_permissions",
)


class MfaRequired(Forbidden):
    default_code = "mfa_required"
    default_message = (
        "This organization requires two-factor sign-in: turn it on for your account (POST /api/v1/users/me/mfa/totp)."
    )


class ProtectedMethodError(TypeError):
    """A scoped view tried to override a method that enforces the organization boundary."""


class OrganizationScopedMixin(PreconditionMixin):
    organization_field: str | None = "organization"
    permission_classes_by_action: dict[str, list] = {}

    org_access: OrganizationAccess | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in PROTECTED_METHODS:
            if name in cls.__dict__ and cls.__dict__[name] is not OrganizationScopedMixin.__dict__[name]:
                raise ProtectedMethodError(
                    f"{cls.__qualname__}.{name} overrides a method that enforces the organization boundary; "
                    "extend through get_queryset, the permission classes or organization_field instead."
                )

    @property
    def organization(self) -> Organization | None:
        return self.org_access.organization if self.org_access else None

    @property
    def org_role(self):
        return self.org_access.role if self.org_access else None

    def get_permissions(self):
        classes = self.permission_classes_by_action.get(getattr(self, "action", None), self.permission_classes)
        return [IsAuthenticated(), TokenScope(), *(permission() for permission in classes)]

    def check_permissions(self, request):
        if not (request.user and request.user.is_authenticated):
            self.permission_denied(request)  # 401, before revealing anything about the organization
        organization_id = self.kwargs.get(ORGANIZATION_URL_KWARG)
        if organization_id is not None:
            self.org_access = self.require_organization(organization_id)
        if self.is_object_request():
            # 404 before any role check, so an id from another organization reads as unknown
            # even to a caller whose role could not use this endpoint anyway.
            self.get_scoped_object()
        super().check_permissions(request)

    def require_organization(self, organization_id) -> OrganizationAccess:
        """The caller's access to that organization; 404 when they do not belong to it."""
        access = organization_access_get(user=self.request.user, organization_id=organization_id)
        if access is None or not self.credential_reaches(access):
            raise NotFound()
        if (
            access.organization.require_mfa
            and not self.allowed_without_second_factor()
            and not mfa_selectors.user_has_second_factor(user=self.request.user)
        ):
            raise MfaRequired()
        return access

    def credential_reaches(self, access: OrganizationAccess) -> bool:
        """Whether a delegated credential (step 7 of the module docstring) reaches this organization."""
        if not is_delegated(self.request):
            return True
        granted = credential_organization_ids(self.request)
        if granted is not None and access.organization.pk not in granted:
            return False
        return access.membership is not None  # a token never carries a superuser's reach into others' organizations

    def allowed_without_second_factor(self) -> bool:
        """Whether this request stays open to a member who lacks the second factor their organization
        requires (step 6 of the module docstring). Closed unless a view says otherwise."""
        return False

    def is_object_request(self) -> bool:
        return (self.lookup_url_kwarg or self.lookup_field) in self.kwargs

    def get_scoped_object(self):
        """The object the URL names, from the scoped queryset (404 outside it), without object permissions."""
        if not hasattr(self, "_scoped_object"):
            queryset = self.filter_queryset(self.get_queryset())
            value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            obj = get_object_or_404(queryset, **{self.lookup_field: value})
            if self.org_access is not None and self.organization_field == "organization":
                obj.organization = self.org_access.organization  # already loaded: no query to render it
            self._scoped_object = obj
        return self._scoped_object

    def resource_locked(self) -> None:
        # If-Match (config.conditional): the object read before the row lock may be stale; read it again.
        self.__dict__.pop("_scoped_object", None)

    def get_object(self):
        obj = self.get_scoped_object()
        self.check_object_permissions(self.request, obj)
        return obj

    def check_object_permissions(self, request, obj):
        if self.org_access is None:
            self.org_access = self.require_organization(self.organization_id_of(obj))
        super().check_object_permissions(request, obj)

    def organization_id_of(self, obj):
        if self.organization_field is None:
            return obj.pk
        *path, last = self.organization_field.split("__")
        for name in path:
            obj = getattr(obj, name)
        return getattr(obj, f"{last}_id")

    def filter_queryset(self, queryset):
        return super().filter_queryset(self.scope_queryset(queryset))

    def scope_queryset(self, queryset):
        field = self.organization_field or "pk"
        if self.org_access is not None:
            return queryset.filter(**{field: self.org_access.organization.pk})
        user = self.request.user
        delegated = is_delegated(self.request)
        if user.is_superuser and self.is_object_request() and not delegated:
            return queryset  # superusers open any object by id; their lists stay their own
        # Lists leave out organizations whose second factor the caller lacks; an object of one, opened by
        # id, answers 403 mfa_required from check_object_permissions instead. The caller's memberships
        # come from the cache (organizations.access_cache), dropped at once when one changes.
        ids = access_cache.reach(user).organization_ids(
            granted=credential_organization_ids(self.request),
            second_factor_required=not self.is_object_request() and not self.allowed_without_second_factor(),
        )
        # The ids as a literal list, not a subquery: with one organization the planner then sees
        # ``organization_id = X`` and walks the (organization, ..., created_at) indexes in order
        # for the first page instead of sorting every row the semi-join returns.
        self.scoped_organization_ids = ids
        return queryset.filter(**{f"{field}__in": ids})

    def paginate_rows(self, queryset, offset: int, limit: int):
        """The rows of a page (``config.pagination``): a top-level list of the caller's organizations is read
        as each organization's first rows merged, which walks each one's index in order instead of sorting
        every row of them all (``config.pagination.merged_rows``)."""
        ids = self.merged_organization_ids(queryset)
        if ids is None:
            return queryset[offset : offset + limit]
        return merged_rows(queryset, field=self.organization_field, values=ids, offset=offset, limit=limit)

    def count_rows(self, queryset, limit: int) -> int:
        """The rows of the list counted up to ``limit`` (``config.pagination``): those of a top-level list of the
        caller's organizations are counted organization by organization (``config.pagination.merged_count``)."""
        ids = self.merged_organization_ids(queryset)
        if ids is None:
            return count_rows(queryset, limit)
        return merged_count(queryset, field=self.organization_field, values=ids, limit=limit)

    def merged_organization_ids(self, queryset) -> list | None:
        """The organizations a top-level list of the caller's is read and counted one by one in (those
        ``?organization=`` names, when it names some), or None for any other list."""
        ids = getattr(self, "scoped_organization_ids", None)
        model = getattr(queryset, "model", None)  # a list may be no queryset (a task's activity)
        if ids is None or self.organization_field is None or model is not self.get_queryset().model:
            return None
        asked = self.organizations_asked()
        if asked is not None:
            ids = [pk for pk in ids if pk in asked]  # ?organization= narrows the merge to those it names
        return ids

    def organizations_asked(self) -> set | None:
        """The organizations ``?organization=`` names (already validated by the list's filter), or None. Read
        as the filter reads them (``config.filters.MultipleValuesWidget``)."""
        values = MultipleValuesWidget().value_from_datadict(self.request.query_params, None, "organization")
        try:
            return {uuid.UUID(value) for value in values} or None
        except ValueError:
            return None

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization, "org_role": self.org_role}


class OrganizationScopedViewSet(OrganizationScopedMixin, viewsets.GenericViewSet):
    """A ``GenericViewSet`` scoped to an organization; add the DRF mixins or actions you need."""
