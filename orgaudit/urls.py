from django.urls import path

from orgaudit.views import AuditLogViewSet

audit_log = AuditLogViewSet.as_view({"get": "list"})
audit_log_export = AuditLogViewSet.as_view({"get": "export"})

urlpatterns = [
    path("organizations/<uuid:organization_id>/audit-log", audit_log, name="organization-audit-log"),
    path(
        "organizations/<uuid:organization_id>/audit-log/export", audit_log_export, name="organization-audit-log-export"
    ),
]
