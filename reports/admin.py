from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from reports import rendering
from reports.models import ReportExport, ReportSettings


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    """Exports are made by the API and the worker; staff watch them and download the files here."""

    list_display = (
        "id",
        "organization",
        "format",
        "date_from",
        "date_to",
        "state",
        "requested_by",
        "created_at",
        "download",
    )
    list_filter = ("state", "format", "organization")
    search_fields = ("id", "organization__name", "organization__slug", "requested_by__email")
    list_select_related = ("organization", "requested_by")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "organization",
        "requested_by",
        "format",
        "date_from",
        "date_to",
        "state",
        "attempts",
        "last_error",
        "download",
        "created_at",
        "claimed_at",
        "heartbeat_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="file")
    def download(self, export: ReportExport):
        if not export.is_ready:
            return "-"
        url = reverse("admin:reports_reportexport_download", args=[export.pk])
        return format_html('<a href="{}">Download {}</a>', url, export.format.upper())

    def get_urls(self):
        return [
            path(
                "<uuid:export_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reports_reportexport_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, export_id):
        export = ReportExport.objects.select_related("organization").filter(pk=export_id).first()
        if export is None or not export.is_ready:
            raise Http404("No built export with this id.")
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        try:
            file = export.file.open("rb")
        except FileNotFoundError:
            raise Http404("The export's file is gone.") from None
        return FileResponse(
            file, as_attachment=True, filename=export.filename, content_type=rendering.CONTENT_TYPES[export.format]
        )


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    list_display = ("organization", "weekly_email", "weekly_email_last_week", "weekly_email_last_sent_at")
    list_filter = ("weekly_email",)
    search_fields = ("organization__name", "organization__slug")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("weekly_email_last_week", "weekly_email_last_sent_at", "updated_at")
