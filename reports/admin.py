from django.contrib import admin

from config.admin import FileDownloadAdmin
from reports import rendering
from reports.models import ReportExport, ReportSettings


@admin.register(ReportExport)
class ReportExportAdmin(FileDownloadAdmin):
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

    download_label = ""

    def download_label_of(self, export: ReportExport) -> str:
        return f"Download {export.format.upper()}"

    def file_content_type(self, export: ReportExport) -> str:
        return rendering.CONTENT_TYPES[export.format]


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    list_display = ("organization", "weekly_email", "weekly_email_last_week", "weekly_email_last_sent_at")
    list_filter = ("weekly_email",)
    search_fields = ("organization__name", "organization__slug")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("weekly_email_last_week", "weekly_email_last_sent_at", "updated_at")
