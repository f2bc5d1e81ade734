from django.contrib import admin
from django.utils.html import format_html

from config.admin import apply_each
from imports import services
from imports.models import ImportJob, ImportRowError


class ImportRowErrorInline(admin.TabularInline):
    model = ImportRowError
    fields = ("line", "column", "code", "message", "value")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0
    # A job keeps up to IMPORT_MAX_ERRORS problems; the page shows the first ones, the API lists them all.
    classes = ["collapse"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("line", "id")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "organization",
        "kind",
        "mode",
        "dry_run",
        "state",
        "progress_bar",
        "created",
        "failed",
        "created_by",
        "created_at",
    )
    list_filter = ("state", "kind", "mode", "dry_run", "created_at")
    search_fields = ("original_name", "organization__name", "organization__slug", "created_by__email")
    list_select_related = ("organization", "created_by")
    date_hierarchy = "created_at"
    actions = ["retry_jobs", "cancel_jobs"]
    inlines = [ImportRowErrorInline]
    readonly_fields = [field.name for field in ImportJob._meta.fields] + ["progress_bar"]

    def has_add_permission(self, request):
        return False  # jobs start from an upload or manage.py import_csv

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress_bar(self, obj):
        return format_html('<progress max="100" value="{}"></progress> {}%', obj.progress, obj.progress)

    @admin.action(description="Retry selected imports (failed, cancelled or stalled) from their checkpoint")
    def retry_jobs(self, request, queryset):
        apply_each(self, request, queryset, lambda job: services.import_job_retry(job=job), "Queued")

    @admin.action(description="Cancel selected imports (pending or running)")
    def cancel_jobs(self, request, queryset):
        apply_each(
            self, request, queryset, lambda job: services.import_job_cancel(job=job, actor=request.user), "Cancelled"
        )
