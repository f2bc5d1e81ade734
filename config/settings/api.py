"""The REST API: DRF, pagination, the OpenAPI schema and its docs pages, CORS."""

from corsheaders.defaults import default_headers

from .core import APP_VERSION
from .env import env
from .imports import IMPORT_MAX_BYTES

REST_FRAMEWORK = {
    # Delegated credentials' classes first: each takes only its own tokens (OAuth access tokens are JWTs typed
    # at+jwt, personal access tokens start twp_) and leaves any other bearer token to the session JWT's, which
    # answers 401 to what it cannot decode.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauth_server.authentication.OAuthAccessTokenAuthentication",
        "pats.authentication.PersonalAccessTokenAuthentication",
        "sessions_app.authentication.SessionJWTAuthentication",
    ],
    # TokenScope: a delegated credential (a personal access token, an OAuth access token) only where the
    # view declares a scope it holds (config/permissions.py). Views that set permission_classes list it too.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "config.permissions.TokenScope"],
    # Every request against its endpoint class, per user or per client IP (config/ratelimit.py; RATE_LIMITS).
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.RequestRateThrottle"],
    # DRF's JSON renderer, its bytes written by orjson (config/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["config.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "config.filters.FilterBackend",
        "config.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=20),
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# How far a list counts its rows (config.pagination.bounded_count): past it, ``total`` is this bound and
# ``total_exact`` false, so no page of a list of a million rows costs a count of a million.
API_EXACT_COUNT_LIMIT = env.int("API_EXACT_COUNT_LIMIT", default=1000)
# How long a page of tasks is kept in the cache, served again while nothing it shows has changed
# (tasks_app/page_cache.py); 0 computes every page.
TASK_PAGE_CACHE_SECONDS = env.int("TASK_PAGE_CACHE_SECONDS", default=60)
# How long a signed link (a report export's download_url) works after the API answered it: config/signed_links.py.
SIGNED_LINK_MAX_AGE_SECONDS = env.int("SIGNED_LINK_MAX_AGE_SECONDS", default=5 * 60)

# Swagger UI and ReDoc at /api/v1/docs/ and /api/v1/redoc/; production turns them off by default.
API_DOCS_ENABLED = env.bool("API_DOCS_ENABLED", default=True)
SPECTACULAR_SETTINGS = {
    "TITLE": "Team Workspace API",
    "DESCRIPTION": "Organizations, tasks, mentions, notifications, CSV imports and reports.",
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every tag an operation uses, with what it groups; ReDoc and Swagger UI show them in this order.
    "TAGS": [
        {"name": "meta", "description": "Where to start: the server's name and version, and the API's resource roots."},
        {
            "name": "auth",
            "description": "Registering, signing in (password, then a second factor when the account has one), "
            "refreshing and signing out; password change and reset; email verification. See docs/api/auth.md.",
        },
        {
            "name": "sso",
            "description": "Single sign-on with OpenID Connect, Google and GitHub, and the provider identities "
            "linked to one's account.",
        },
        {"name": "mfa", "description": "One's second factor: TOTP enrolment, recovery codes, turning it off."},
        {
            "name": "sessions",
            "description": "Signed-in sessions (one per sign-in): one's own, which one may end, and all of them for "
            "staff.",
        },
        {
            "name": "users",
            "description": "One's profile, deleting one's account, exporting one's data, and the profiles of people "
            "one shares an organization with.",
        },
        {
            "name": "tokens",
            "description": "Personal access tokens: scoped, per-organization credentials for scripts, and the "
            "organization admins' view of those that reach their organization.",
        },
        {
            "name": "oauth",
            "description": "The OAuth 2.1 authorization server: client registration, and the applications one (or "
            "an organization) authorized.",
        },
        {
            "name": "organizations",
            "description": "Organizations (the tenants): creating, renaming, deleting and restoring them. Every "
            "other organization resource answers 404 to people outside it.",
        },
        {"name": "members", "description": "An organization's members and their roles (owner, admin, member, viewer)."},
        {"name": "invitations", "description": "Inviting people by email, and accepting an invitation by its link."},
        {
            "name": "tasks",
            "description": "Tasks, their comments, mentions and activity; lists filter, search, order and paginate.",
        },
        {
            "name": "events",
            "description": "The live stream of what changes in one's organizations (Server-Sent Events), and the "
            "tickets that open it from a browser's EventSource. See docs/api/events.md.",
        },
        {"name": "trash", "description": "Deleted tasks and comments, and restoring them within the retention period."},
        {"name": "notifications", "description": "One's in-app notifications: listing, reading one, reading all."},
        {
            "name": "imports",
            "description": "CSV imports of tasks or members, run by a worker: upload, progress, rejected rows, cancel.",
        },
        {
            "name": "reports",
            "description": "An organization's figures (JSON or CSV), HTML and CSV exports built by a worker, and the "
            "weekly report email.",
        },
        {"name": "audit log", "description": "What happened in an organization, who did it and from where (admins)."},
        {
            "name": "webhooks",
            "description": "An organization's webhook endpoints and Discord channels, signed deliveries and their "
            "history.",
        },
        {
            "name": "mcp",
            "description": "The Model Context Protocol endpoint for AI assistants, and its OAuth protected resource "
            "metadata.",
        },
        {"name": "health", "description": "Liveness and readiness for load balancers and orchestrators."},
    ],
    # Docstrings speak to developers (and a base class's reached every subclass's operations): an operation's
    # description is what its extend_schema says, and tests/config/test_schema.py holds every one to having it.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    # Enums that several apps name alike ("kind", "state", "format") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "notifications.models.NotificationKind",
        "SecondFactorEnum": "mfa.serializers.FACTORS",
        "TaskStatusEnum": "tasks_app.models.STATUS_LABELS",
        "TaskPriorityEnum": "tasks_app.models.PRIORITY_LABELS",
        "ImportKindEnum": "imports.models.ImportKind",
        "ImportModeEnum": "imports.models.ImportMode",
        "ImportStateEnum": "imports.models.ImportState",
        "ImportPhaseEnum": "imports.models.ImportPhase",
        "ReportExportFormatEnum": "reports.models.ExportFormat",
        "ReportExportStateEnum": "reports.models.ExportState",
        "SignInProviderEnum": "sso.models.Provider",
        "WebhookEndpointKindEnum": "org_webhooks.models.EndpointKind",
    },
}

# Browsers on these origins may call the API; none by default (same origin only).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# What a browser's script may read of an answer: the request id, how to back off (docs/api/rate-limits.md), and the
# validators of conditional and idempotent requests (docs/api/concurrency.md).
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "ETag",
    "Idempotent-Replayed",
]
# corsheaders' defaults, and the conditional and idempotent request headers (docs/api/concurrency.md).
CORS_ALLOW_HEADERS = (*default_headers, "if-match", "if-none-match", "idempotency-key")
# Let those origins send cookies (the refresh cookie, single sign-on's sso_binding): fetch with
# credentials: "include". Only with CORS_ALLOWED_ORIGINS naming the frontend, never a wildcard.
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)

# Idempotency-Key on POST (docs/api/concurrency.md): a key and its answer are kept this many hours, and
# replayed to a retry with the same key and body within them; the retention policy purges them after.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# A request still running with its key answers 409 to a retry; after this many seconds without an answer
# (the worker died; keep it above gunicorn's --timeout) the key may be used again.
IDEMPOTENCY_IN_FLIGHT_SECONDS = env.int("IDEMPOTENCY_IN_FLIGHT_SECONDS", default=120)
# The largest keyed body that is fingerprinted (a multipart upload is hashed as it streams to a temporary
# file); a larger one answers 413. JSON bodies are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE already.
IDEMPOTENCY_MAX_BODY_BYTES = env.int("IDEMPOTENCY_MAX_BODY_BYTES", default=IMPORT_MAX_BYTES + 1024 * 1024)
