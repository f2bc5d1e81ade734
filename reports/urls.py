from django.urls import path

from reports.views import ReportExportSignedDownloadView, ReportExportViewSet, ReportSettingsView, ReportSummaryView

exports = ReportExportViewSet.as_view({"get": "list", "post": "create"})
export = ReportExportViewSet.as_view({"get": "retrieve"})
export_download = ReportExportViewSet.as_view({"get": "download"})

# Without trailing slashes, as the API contract writes paths. "exports" is no UUID, so the routes cannot clash.
urlpatterns = [
    path("reports/exports/<uuid:pk>", export, name="report-export-detail"),
    path("reports/exports/<uuid:pk>/download", export_download, name="report-export-download"),
    path(
        "reports/exports/<uuid:pk>/signed-download",
        ReportExportSignedDownloadView.as_view(),
        name="report-export-signed-download",
    ),
    path("reports/<uuid:organization_id>", ReportSummaryView.as_view(), name="report-summary"),
    path("reports/<uuid:organization_id>/exports", exports, name="report-export-list"),
    path("reports/<uuid:organization_id>/settings", ReportSettingsView.as_view(), name="report-settings"),
]
