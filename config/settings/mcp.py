"""The MCP endpoint (``/mcp``) and its OAuth protected resource metadata (RFC 9728)."""

from .env import env

# This backend's public base URL (scheme and host, no path), as programs reach it: the MCP resource
# identifier (``<SITE_URL>/mcp``) and, unless the OAuth server names its own ``OAUTH_ISSUER``, the
# authorization server an MCP client is sent to. Empty: taken from each request (its Host, checked
# against ALLOWED_HOSTS, and its scheme, which behind a proxy needs USE_X_FORWARDED_PROTO).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
