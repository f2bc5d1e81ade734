"""Who may do what through ``/mcp``: the REST API's rules, asked of the same selectors.

The REST views get these rules from the organization-scoped base view (``organizations.viewsets``)
and their role permission classes; an MCP tool has no view, so this module applies the same steps
to the request that ``/mcp`` authenticated, in the same order of answers:

1. **The credential's scope** (``config.credentials.has_scope``): a delegated credential (an OAuth
   access token, a personal access token) without the tool's scope gets ``insufficient_scope``,
   before anything about the data is looked at. The person's own session JWT has every scope.
2. **The organization**: one the caller does not belong to, or that the credential was not granted
   (``reaches_organization``), is ``not_found``, exactly as one that does not exist. An organization
   that requires a second factor refuses a caller without one (``mfa_required``), as the REST API does.
3. **The role**, read from the database on every call (a demoted person's token loses the right at
   once): viewers read, members and above write; the messages are the REST permission classes'.

Lists are scoped like the REST API's top-level lists: to the caller's organizations (leaving out
those whose second factor the caller lacks), intersected with the credential's organizations.
"""

from uuid import UUID

from django.core.exceptions import ValidationError

from config.credentials import credential_organization_ids, has_scope, reaches_organization
from config.errors import Forbidden, NotFound
from mfa import selectors as mfa_selectors
from organizations import access_cache
from organizations.models import Role
from organizations.permissions import IsOrgEditorOrReadOnly
from organizations.selectors import OrganizationAccess, organization_access_get
from organizations.viewsets import MfaRequired
from tasks_app import selectors as task_selectors
from tasks_app.models import Task


class InsufficientScope(Forbidden):
    """The credential lacks the scope this needs (RFC 6750 §3.1 ``insufficient_scope``)."""

    default_code = "insufficient_scope"

    def __init__(self, scope: str):
        super().__init__(f"This token lacks the {scope} scope.", extra={"scope": scope})


def require_scope(request, scope: str) -> None:
    if not has_scope(request, scope):
        raise InsufficientScope(scope)


def as_uuid(value, *, field: str) -> UUID:
    """A UUID from a tool argument; a malformed one is a validation error on that field."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise ValidationError({field: ValidationError("Must be a valid UUID.", code="invalid")}) from None


def organization_access(request, organization_id, *, field: str = "organization_id") -> OrganizationAccess:
    """The caller's access to one organization: ``not_found`` outside it, ``mfa_required`` without the
    second factor it requires (the REST seam's steps 2 and 6)."""
    organization_id = as_uuid(organization_id, field=field)
    if not reaches_organization(request, organization_id):
        raise NotFound()
    access = organization_access_get(user=request.user, organization_id=organization_id)
    if access is None:
        raise NotFound()
    if access.organization.require_mfa and not mfa_selectors.user_has_second_factor(user=request.user):
        raise MfaRequired()
    return access


def require_editor(access: OrganizationAccess) -> None:
    """Members, admins and owners write; viewers read (``IsOrgEditorOrReadOnly``)."""
    if access.role < Role.MEMBER:
        raise Forbidden(IsOrgEditorOrReadOnly.message)


def visible_organization_ids(request) -> list[UUID]:
    """The organizations a list may show: the caller's (less those whose second factor they lack),
    within the credential's. Superusers list their own organizations, as in the REST API."""
    return access_cache.reach(request.user).organization_ids(granted=credential_organization_ids(request))


def tasks_visible(request, organization_ids=None):
    """``task_page()`` scoped to the organizations a list may show (``visible_organization_ids``, when not given)."""
    if organization_ids is None:
        organization_ids = visible_organization_ids(request)
    return task_selectors.task_page().filter(organization_id__in=organization_ids)


def task_get(request, task_id, *, field: str = "task_id") -> tuple[Task, OrganizationAccess]:
    """One task and the caller's access to its organization; ``not_found`` for another organization's."""
    task = task_selectors.task_list().filter(pk=as_uuid(task_id, field=field)).first()
    if task is None:
        raise NotFound()
    access = organization_access(request, task.organization_id)
    task.organization = access.organization
    return task, access
