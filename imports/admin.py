from django.contrib import admin, messages
from django.utils.html import format_html
from rest_framework.exceptions import APIException

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

    def _each(self, request, queryset, call, verb):
        done, failures = 0, []
        for job in queryset:
            try:
                call(job)
                done += 1
            except APIException as exc:
                failures.append(f"{job}: {exc.detail}")
        if done:
            self.message_user(request, f"{verb} {done} import(s).", messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Retry selected imports (failed, cancelled or stalled) from their checkpoint")
    def retry_jobs(self, request, queryset):
        self._each(request, queryset, lambda job: services.import_job_retry(job=job), "Queued")

    @admin.action(description="Cancel selected imports (pending or running)")
    def cancel_jobs(self, request, queryset):
        self._each(request, queryset, lambda job: services.import_job_cancel(job=job, actor=request.user), "Cancelled")
