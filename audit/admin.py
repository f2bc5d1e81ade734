from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is evidence."""

    list_display = ("created_at", "kind", "user", "identifier", "ip", "actor")
    list_filter = ("kind", "created_at")
    search_fields = ("user__email", "identifier", "ip")
    list_select_related = ("user", "actor")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
