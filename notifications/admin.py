from django.contrib import admin, messages

from config.admin import ReadOnlyInline
from config.text import truncate
from notifications import services
from notifications.models import Notification, NotificationDelivery


class NotificationDeliveryInline(ReadOnlyInline):
    model = NotificationDelivery
    fields = ("id", "channel", "state", "attempts", "last_error", "next_attempt_at", "delivered_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the events that cause them."""

    list_display = ("created_at", "kind", "recipient", "actor", "title", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("recipient__email", "recipient__username", "title")
    list_select_related = ("recipient", "actor")
    date_hierarchy = "created_at"
    inlines = [NotificationDeliveryInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Read-only, with one action: retry failed deliveries once their cause is fixed."""

    list_display = ("id", "channel", "state", "attempts", "recipient", "short_error", "updated_at", "delivered_at")
    list_filter = ("state", "channel", "updated_at")
    search_fields = ("=id", "notification__recipient__email", "last_error")
    list_select_related = ("notification__recipient",)
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.change_notificationdelivery")

    @admin.display(description="recipient", ordering="notification__recipient__email")
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description="last error")
    def short_error(self, obj):
        return truncate(obj.last_error, 80)

    @admin.action(description="Retry selected failed deliveries", permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = services.notification_delivery_retry(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Queued {count} failed deliveries again.", messages.SUCCESS)
