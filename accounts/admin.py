from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.core.exceptions import ValidationError
from django.utils.text import Truncator

from accounts import services, webhooks
from accounts.models import Notification, NotificationDelivery, User
from sessions_app.admin import UserSessionInline
from sessions_app.models import RevokeReason
from sessions_app.services import session_revoke_all


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username", "full_name")


class UserChangeForm(DjangoUserChangeForm):
    webhook_url = forms.URLField(assume_scheme="https", required=False, max_length=500)

    class Meta:
        model = User
        fields = "__all__"

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url") or ""
        if url and url != self.instance.webhook_url:
            try:
                webhooks.url_validate(url)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["webhook_url"]) from exc
        return url


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "username", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("email", "username", "full_name")
    readonly_fields = ("id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "username", "password")}),
        ("Profile", {"fields": ("full_name", "notify_email", "webhook_url")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "full_name", "password1", "password2")}),
    )
    inlines = [UserSessionInline]
    actions = ["deactivate_users", "revoke_all_sessions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "webhook_url" in form.changed_data:
            services.user_webhook_secret_ensure(user=obj)
        # Unticking "active" in the form must end the sessions too, as the action does.
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(user=obj, actor=request.user, request=request)

    @admin.action(description="Deactivate selected users (and end their sessions)")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, actor=request.user, request=request)
        self.message_user(request, f"Deactivated {queryset.count()} users.", messages.SUCCESS)

    @admin.action(description="Revoke all sessions of selected users")
    def revoke_all_sessions(self, request, queryset):
        total = sum(session_revoke_all(user=user, reason=RevokeReason.REVOKED_BY_ADMIN) for user in queryset)
        self.message_user(request, f"Revoked {total} sessions.", messages.SUCCESS)


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    fields = ("id", "channel", "state", "attempts", "last_error", "next_attempt_at", "delivered_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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
        return request.user.has_perm("accounts.change_notificationdelivery")

    @admin.display(description="recipient", ordering="notification__recipient__email")
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description="last error")
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.action(description="Retry selected failed deliveries", permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = services.notification_deliveries_retry(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Queued {count} failed deliveries again.", messages.SUCCESS)
