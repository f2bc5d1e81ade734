"""Where a newcomer starts: ``GET /`` names the API and links its docs, health and root; ``GET /api/v1/``
links the resource roots. Both answer from settings and URL names alone (no database)."""

import uuid

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from config.views import PublicAPIView

# The resource roots /api/v1/ links, by URL name. Paths under an organization (or another resource) are
# URI templates (RFC 6570): the placeholder names the path parameter, as the schema does.
RESOURCE_ROOTS = {
    "login": "auth-login",
    "refresh": "auth-refresh",
    "register": "auth-register",
    "sign_in_providers": "sso-provider-list",
    "me": "user-me",
    "sessions": "session-list",
    "notifications": "notification-list",
    "organizations": "organization-list",
    "tasks": "task-list",
    "members": "membership-list",
    "invitations": "invitation-list",
    "invitation": "invitation-by-token",
    "imports": "import-list",
    "import": "import-detail",
    "report": "report-summary",
    "report_exports": "report-export-list",
    "trash": "trash-list",
    "audit_log": "organization-audit-log",
    "webhooks": "webhook-list",
    "admin_sessions": "admin-session-list",
    "events": "event-stream",
}
# A stand-in value per path parameter, reversed and then replaced by ``{name}``.
_PLACEHOLDER_UUID = uuid.UUID(int=0)
_PLACEHOLDERS = {"organization_id": _PLACEHOLDER_UUID, "pk": _PLACEHOLDER_UUID, "token": "0" * 8}
_TEMPLATE_NAMES = {"pk": "id"}


def resource_template(url_name: str) -> str:
    """The URL name's path, its parameters written ``{name}`` (``/api/v1/organizations/{organization_id}/members``)."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        pass
    for names in ([], ["organization_id"], ["pk"], ["token"]):
        try:
            path = reverse(url_name, kwargs={name: _PLACEHOLDERS[name] for name in names})
        except NoReverseMatch:
            continue
        for name in names:
            path = path.replace(str(_PLACEHOLDERS[name]), "{" + _TEMPLATE_NAMES.get(name, name) + "}")
        return path
    raise NoReverseMatch(f"RESOURCE_ROOTS names {url_name!r}, which takes parameters index.py does not know")


def _links(request, names: dict[str, str]) -> dict[str, str]:
    # build_absolute_uri would percent-encode the braces of a template: join the origin and the path instead.
    origin = request.build_absolute_uri("/").rstrip("/")
    return {key: origin + resource_template(url_name) for key, url_name in names.items()}


Links = serializers.DictField(child=serializers.CharField())


class RootView(PublicAPIView):
    needs_no_services = True  # settings only: the schema documents no 503 here

    @extend_schema(
        operation_id="service_root",
        summary="What this server is, and where to go next",
        description="The API's name and version, and links to its root (`/api/v1/`), its health check and, "
        "when `API_DOCS_ENABLED`, its docs (Swagger UI, ReDoc) and OpenAPI schema (absent otherwise).",
        responses=inline_serializer(
            "ServiceRoot", {"name": serializers.CharField(), "version": serializers.CharField(), "links": Links}
        ),
        tags=["meta"],
    )
    def get(self, request):
        names = {"api": "api-root", "health": "health"}
        if settings.API_DOCS_ENABLED:
            names |= {"docs": "swagger-ui", "redoc": "redoc", "schema": "schema"}
        return Response(
            {
                "name": settings.SPECTACULAR_SETTINGS["TITLE"],
                "version": settings.APP_VERSION,
                "links": _links(request, names),
            }
        )


class ApiRootView(PublicAPIView):
    needs_no_services = True

    @extend_schema(
        operation_id="api_root",
        summary="The API's resource roots",
        description="Links to where each resource starts. Paths under another resource are URI templates "
        "(`{organization_id}`, `{id}`, `{token}`), named as the schema's path parameters.",
        responses=inline_serializer("ApiRoot", {"version": serializers.CharField(), "links": Links}),
        tags=["meta"],
    )
    def get(self, request):
        return Response({"version": "v1", "links": _links(request, RESOURCE_ROOTS)})
