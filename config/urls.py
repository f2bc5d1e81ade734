from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config import health, index, views

api_v1 = [
    path("", index.ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("mfa.urls")),
    path("", include("sessions_app.urls")),
    path("", include("organizations.urls")),
    path("", include("tasks_app.urls")),
    path("", include("imports.urls")),
    path("", include("reports.urls")),
    path("", include("privacy.urls")),
    path("", include("sso.urls")),
    path("", include("pats.urls")),
    path("", include("oauth_server.api_urls")),
    path("", include("orgaudit.urls")),
    path("", include("org_webhooks.urls")),
    path("", include("live.urls")),
]

if settings.API_DOCS_ENABLED:
    api_v1 += [
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
        path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    ]

urlpatterns = [
    path("", index.RootView.as_view(), name="root"),
    path("admin/", admin.site.urls),
    path("health", health.HealthView.as_view(), name="health"),
    path("health/live", health.LiveView.as_view(), name="health-live"),
    # The OAuth authorization server: /.well-known/ metadata and /api/v1/oauth/provider/ (oauth_server/urls.py).
    path("", include("oauth_server.urls")),
    path("api/v1/", include(api_v1)),
    # The MCP endpoint and its OAuth protected resource metadata (RFC 9728), at the root as MCP clients expect.
    path("", include("mcp_server.urls")),
    # Unknown paths under /api/ answer the JSON envelope, whatever DEBUG says, and whatever the method:
    # without csrf_exempt a POST, PATCH or DELETE there met Django's CSRF check (a 403 HTML page) first.
    # It also takes what APPEND_SLASH would (every API path matches here): a real path but for its trailing
    # slash is redirected or named (config.views.api_not_found).
    re_path(r"^api/", csrf_exempt(views.api_not_found), name=views.API_NOT_FOUND),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

admin.site.site_header = "Team Workspace administration"
admin.site.site_title = "Team Workspace admin"
