"""Where the MCP endpoint lives and who issues its tokens: OAuth 2.0 protected resource metadata (RFC 9728).

An MCP client that meets a 401 at ``/mcp`` reads ``resource_metadata`` from its ``WWW-Authenticate``
header, fetches that document, and from its ``authorization_servers`` finds the OAuth server
(``<issuer>/.well-known/oauth-authorization-server``, RFC 8414), where it registers, asks for consent
and gets tokens. Every URL is absolute, made from ``SITE_URL`` or, when it is empty, the request.
"""

from django.conf import settings

MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
# The scopes the tools and resources check (``access.require_scope``): what a client asks for to use
# this endpoint. RFC 9728 ``scopes_supported``, which an MCP client requests when the 401 names none,
# so listing more (org:admin, members:read, profile) would have every assistant ask for rights no tool uses.
MCP_SCOPES = ("tasks:read", "tasks:write", "comments:write", "reports:read")


def base_url(request) -> str:
    """The site's public base URL, without a trailing slash."""
    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


def resource_url(request) -> str:
    """The MCP endpoint's URL: its resource identifier, which tokens are meant for."""
    return base_url(request) + MCP_PATH


def metadata_url(request) -> str:
    """The metadata document of the MCP endpoint (RFC 9728 §3.1: the well-known path + the resource's path)."""
    return base_url(request) + METADATA_PATH + MCP_PATH


def issuer_url(request) -> str:
    """The authorization server's issuer: the OAuth server's ``OAUTH_ISSUER`` when it sets one, else this site."""
    return (getattr(settings, "OAUTH_ISSUER", "") or base_url(request)).rstrip("/")


def protected_resource_metadata(request) -> dict:
    return {
        "resource": resource_url(request),
        "authorization_servers": [issuer_url(request)],
        "scopes_supported": list(MCP_SCOPES),
        "bearer_methods_supported": ["header"],
        "resource_name": "Team Workspace MCP server",
    }


def www_authenticate(request, *, error: str | None = None, description: str | None = None) -> str:
    """The ``WWW-Authenticate`` challenge of a 401 at ``/mcp`` (RFC 6750 §3, RFC 9728 §5.1)."""
    parts = ['realm="mcp"', f'resource_metadata="{metadata_url(request)}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append('error_description="{}"'.format(description.replace("\\", "").replace('"', "'")))
    return "Bearer " + ", ".join(parts)
