from django.contrib import admin

from idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Read-only, for support ("why did my retry answer 422?"); the answers' bodies stay out of the list.
    Deleting a key lets its next request run again."""

    list_display = ("created_at", "user", "key", "request_line", "status_code", "completed_at")
    list_filter = ("status_code", "created_at")
    search_fields = ("key", "user__email", "request_line")
    list_select_related = ("user",)
    fields = ("user", "key", "request_line", "fingerprint", "created_at", "completed_at", "status_code")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
