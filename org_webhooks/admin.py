from django.contrib import admin

from config.admin import ReadOnlyInline
from config.text import truncate
from org_webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookDeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("id", "event_type", "state", "attempts", "response_status", "latency_ms", "last_error", "created_at")
    ordering = ("-created_at",)
    max_num = 20


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Read-only: admins of the organization manage endpoints through the API (the services record each change)."""

    list_display = ("url", "kind", "organization", "active", "paused_reason", "failing_since", "created_at")
    list_filter = ("kind", "active", "created_at")
    search_fields = ("url", "organization__name", "organization__slug", "description")
    list_select_related = ("organization",)
    exclude = ("secret", "previous_secret")
    inlines = [WebhookDeliveryInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only delivery history (an admin of the organization redelivers through the API)."""

    list_display = ("id", "event_type", "endpoint", "state", "attempts", "response_status", "short_error", "created_at")
    list_filter = ("state", "event_type", "created_at")
    search_fields = ("=id", "=event_id", "endpoint__url", "last_error")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="last error")
    def short_error(self, obj):
        return truncate(obj.last_error, 80)
