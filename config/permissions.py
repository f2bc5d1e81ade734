"""Permission classes that know no domain."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from config.credentials import SCOPES, bearer_challenge, credential_scopes

# A view's ``required_scopes`` value meaning "any delegated credential, whatever its scopes" (e.g.
# the list of one's organizations, already limited to those the credential reaches).
ANY_SCOPE = "*"


class InsufficientScope(exceptions.PermissionDenied):
    """403: the delegated credential lacks the scope this endpoint needs (RFC 6750 §3.1).

    ``scope`` None: no scope opens this endpoint to a delegated credential (it manages the person's
    credentials, sessions or account): only the person's own session may call it.
    """

    default_code = "insufficient_scope"

    def __init__(self, scope: str | None):
        if scope is None:
            detail = "This endpoint is open only to your own session, never to a token."
            self.www_authenticate = bearer_challenge(error="insufficient_scope", error_description=detail)
        else:
            detail = f"This token lacks the scope this request needs: {scope}."
            self.www_authenticate = bearer_challenge(error="insufficient_scope", scope=scope)
        super().__init__(detail=detail, code=self.default_code)


def required_scope(view, request) -> str | None:
    """The scope ``view`` declares for this request, or None when it declares none (deny by default).

    ``view.required_scopes`` maps, most specific first, ``"<action> <METHOD>"``, ``"<action>"`` (a
    viewset's action) or ``"<METHOD>"`` to a scope of ``config.credentials.SCOPES`` or ``ANY_SCOPE``.
    HEAD reads as GET.
    """
    declared = getattr(view, "required_scopes", None) or {}
    method = "GET" if request.method == "HEAD" else request.method
    action = getattr(view, "action", None)
    keys = ([f"{action} {method}", action] if action else []) + [method]
    for key in keys:
        if key in declared:
            return declared[key]
    return None


class TokenScope(BasePermission):
    """Allows the person's own session everywhere; a delegated credential (a personal access token, an
    OAuth access token) only where the view's ``required_scopes`` names a scope the credential holds.

    Deny by default: a view that declares no scope for the request is closed to every delegated
    credential (403 ``insufficient_scope``), so a new endpoint is never open to tokens by accident.
    Organizations and roles are checked elsewhere (the tenant seam, the role classes): this class
    only answers "may this kind of credential call this endpoint at all".
    """

    message = "This token lacks the scope this request needs."

    def has_permission(self, request, view):
        scopes = credential_scopes(request)
        if scopes is None:
            return True
        scope = required_scope(view, request)
        if scope == ANY_SCOPE and scopes:
            return True
        if scope in SCOPES and scope in scopes:
            return True
        raise InsufficientScope(None if scope in (None, ANY_SCOPE) else scope)


class IsSuperuser(BasePermission):
    """Allows superusers only."""

    message = "Only superusers may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_superuser)
