"""Delegated credentials: what a token that is not the person's own session may do.

A person's session JWT can do whatever the person can. A *delegated* credential (a personal access
token, or an access token the OAuth server issued to another program) can do less: only what its
scopes name, only in the organizations it was granted, and never more than the person's current
role allows. An authentication class that accepts such a token returns ``(user, credential)``, so
the credential is ``request.auth``, with two attributes:

- ``scopes``: a frozenset of names from ``SCOPES``;
- ``organization_ids``: a frozenset of organization ids (UUIDs), or None for "every organization
  the person belongs to".

The session JWT (a simplejwt ``AccessToken``) has neither, and reads as unrestricted here. This
module imports no app; the permission class, the organization seam and the MCP tools all ask it.
"""

from uuid import UUID

from rest_framework.exceptions import AuthenticationFailed

# Each scope, in the plain words a consent page and a token form show.
SCOPES: dict[str, str] = {
    "profile": "See your name, username and email",
    "tasks:read": "See tasks, their comments and their activity",
    "tasks:write": "Create, edit, assign and delete tasks",
    "comments:write": "Comment on tasks",
    "members:read": "See the members of your organizations",
    "reports:read": "See your organizations' reports",
    "org:admin": "Administer your organizations: members, invitations, imports and settings, as your role allows",
}


def bearer_challenge(**params) -> str:
    """A ``WWW-Authenticate`` value for a bearer token (RFC 6750 §3): ``Bearer realm="api", error="..."``."""
    return ", ".join(['Bearer realm="api"', *(f'{name}="{value}"' for name, value in params.items())])


class InvalidToken(AuthenticationFailed):
    """401 for a delegated credential that is unknown, expired or revoked, or whose person may no longer
    sign in: what an authentication class of such tokens raises. ``config.exceptions`` answers it with
    ``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750 §3.1)."""

    default_code = "invalid_token"
    default_detail = "This token is not valid: unknown, expired or revoked."

    def __init__(self, detail: str | None = None):
        super().__init__(detail=detail or self.default_detail, code=self.default_code)
        self.www_authenticate = bearer_challenge(error="invalid_token", error_description=str(self.detail))


def is_delegated(request) -> bool:
    return getattr(request, "auth", None) is not None and hasattr(request.auth, "scopes")


def credential_scopes(request) -> frozenset[str] | None:
    """The scopes of the request's credential; None when it is the person's own session (no limit)."""
    return frozenset(request.auth.scopes) if is_delegated(request) else None


def credential_organization_ids(request) -> frozenset[UUID] | None:
    """The organizations the request's credential may reach; None when not limited to some."""
    if not is_delegated(request):
        return None
    ids = request.auth.organization_ids
    return None if ids is None else frozenset(UUID(str(pk)) for pk in ids)


def has_scope(request, scope: str) -> bool:
    scopes = credential_scopes(request)
    return scopes is None or scope in scopes


def reaches_organization(request, organization_id) -> bool:
    ids = credential_organization_ids(request)
    return ids is None or UUID(str(organization_id)) in ids
