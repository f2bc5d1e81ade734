"""``/mcp`` and its protected resource metadata (``/.well-known/oauth-protected-resource``).

``/mcp`` authenticates with the REST API's own authentication classes (DRF's
``DEFAULT_AUTHENTICATION_CLASSES``: the session JWT, and the delegated credentials of
``config.credentials``), so a token means the same here as there. Without a valid one it answers
401 with ``WWW-Authenticate: Bearer resource_metadata="<base>/.well-known/oauth-protected-resource/mcp"``
(RFC 9728 §5.1), which is how an MCP client finds the authorization server. Then the POST body goes
to the SDK's transport (``mcp_server.server.serve``). GET (a server-to-client event stream) and
DELETE (ending a session) answer 405: the endpoint is stateless and holds nothing open.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.views import APIView

from config.errors import Forbidden
from config.permissions import ANY_SCOPE
from config.serializers import BoundedListField, StrictCharField, StrictURLField
from config.views import PublicAPIView
from mcp_server import metadata
from mcp_server.server import serve

# Headers of the SDK's answer that the view passes on (Django sets its own length and framing).
PASSED_HEADERS = {"content-type", "mcp-session-id", "mcp-protocol-version", "allow"}


class OriginNotAllowed(Forbidden):
    default_code = "origin_not_allowed"
    default_message = "Requests from this origin may not use the MCP endpoint."


def _origin_allowed(request) -> bool:
    """The Streamable HTTP transport's rule against DNS rebinding: a browser's ``Origin`` must be this
    site's or one of ``CORS_ALLOWED_ORIGINS``; programs that send none are not browsers."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    own = urlsplit(metadata.base_url(request))
    return origin.rstrip("/") in {f"{own.scheme}://{own.netloc}", *settings.CORS_ALLOWED_ORIGINS}


MCP_DESCRIPTION = (
    "The Model Context Protocol endpoint, Streamable HTTP transport, stateless, JSON responses. "
    "The body is one JSON-RPC 2.0 message (initialize, tools/list, tools/call, resources/read, ...); "
    "send `Accept: application/json, text/event-stream`. Authenticate with a bearer token; without one the "
    "401's `WWW-Authenticate` names the protected resource metadata. Tools and scopes: docs/mcp.md."
)


# The schema of one JSON-RPC 2.0 message as the MCP transport takes it; the method's own params are
# described by the MCP specification (tools/list, tools/call, resources/read...), not here.
JSONRPC_MESSAGE = inline_serializer(
    "JSONRPCMessage",
    {
        "jsonrpc": serializers.ChoiceField(choices=["2.0"]),
        "method": StrictCharField(
            allow_blank=True, help_text="initialize, tools/list, tools/call, resources/read, ..."
        ),
        "id": serializers.JSONField(required=False, help_text="A number or a string; absent for a notification."),
        "params": serializers.DictField(required=False, allow_null=True),
    },
)


class MCPView(APIView):
    """The MCP endpoint; every request authenticated as the REST API authenticates.

    Any delegated credential may open it: each tool checks its own scope, organizations and role.
    """

    required_scopes = {"POST": ANY_SCOPE}

    def get_authenticate_header(self, request):
        presented = bool(request.META.get("HTTP_AUTHORIZATION"))
        return metadata.www_authenticate(request, error="invalid_token" if presented else None)

    @extend_schema(
        summary="MCP (Model Context Protocol) endpoint",
        description=MCP_DESCRIPTION,
        request=JSONRPC_MESSAGE,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The JSON-RPC response."),
            202: OpenApiResponse(description="A notification or a response, accepted."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A JSON-RPC error object (`{jsonrpc, id, error: {code, message}}`), from the MCP "
                "transport: the body is not a JSON-RPC 2.0 message.",
            ),
        },
        tags=["mcp"],
    )
    def post(self, request):
        if not _origin_allowed(request):
            raise OriginNotAllowed()
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            # Answered here in the API's envelope; the SDK's transport would answer a bare text/html 400.
            raise UnsupportedMediaType(request.content_type or "none")
        status, headers, content = serve(request, request.body)
        response = HttpResponse(content, status=status)
        for name, value in headers:
            if name.lower() in PASSED_HEADERS:
                response[name] = value
        return response


ProtectedResourceMetadata = inline_serializer(
    "ProtectedResourceMetadata",
    {
        "resource": StrictURLField(help_text="The MCP endpoint's URL, the tokens' audience."),
        "authorization_servers": BoundedListField(
            child=StrictURLField(), help_text="Issuers whose RFC 8414 metadata an MCP client reads next."
        ),
        "scopes_supported": BoundedListField(child=StrictCharField()),
        "bearer_methods_supported": BoundedListField(child=StrictCharField()),
        "resource_name": StrictCharField(),
    },
)


class ProtectedResourceMetadataView(PublicAPIView):
    needs_no_services = True  # built from settings and the request alone

    @extend_schema(
        summary="OAuth 2.0 protected resource metadata of the MCP endpoint (RFC 9728)",
        description="What an MCP client reads after a 401 from `/mcp`: the resource's URL, the authorization "
        "servers to get a token from and the scopes it takes. Cached for an hour.",
        responses=ProtectedResourceMetadata,
        tags=["mcp"],
    )
    def get(self, request):
        response = JsonResponse(metadata.protected_resource_metadata(request))
        response["Cache-Control"] = "public, max-age=3600"
        response["Access-Control-Allow-Origin"] = "*"  # public; browser-based MCP clients read it too
        return response
