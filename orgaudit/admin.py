from django.contrib import admin

from orgaudit.models import OrganizationAuditRecord


@admin.register(OrganizationAuditRecord)
class OrganizationAuditRecordAdmin(admin.ModelAdmin):
    """Read-only: an organization's audit log is evidence; only retention deletes it."""

    list_display = ("occurred_at", "organization", "action", "actor", "actor_kind", "target_type", "target_label", "ip")
    list_filter = ("action", "actor_kind", "occurred_at")
    search_fields = (
        "organization__name",
        "organization__slug",
        "actor__email",
        "target_label",
        "target_id",
        "request_id",
    )
    list_select_related = ("organization", "actor")
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
