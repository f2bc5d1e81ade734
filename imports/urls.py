from django.urls import path

from imports.views import ImportJobViewSet, OrganizationImportViewSet

organization_imports = OrganizationImportViewSet.as_view({"get": "list", "post": "create"})
job = ImportJobViewSet.as_view({"get": "retrieve"})
job_status = ImportJobViewSet.as_view({"get": "job_status"})
# The action's own settings (its content negotiation), as a router would pass them.
job_errors = ImportJobViewSet.as_view({"get": "errors"}, **ImportJobViewSet.errors.kwargs)
job_cancel = ImportJobViewSet.as_view({"post": "cancel"})

urlpatterns = [
    path("organizations/<uuid:organization_id>/imports", organization_imports, name="import-list"),
    path("imports/<uuid:pk>", job, name="import-detail"),
    path("imports/<uuid:pk>/status", job_status, name="import-status"),
    path("imports/<uuid:pk>/errors", job_errors, name="import-errors"),
    path("imports/<uuid:pk>/cancel", job_cancel, name="import-cancel"),
]
