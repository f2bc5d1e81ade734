from django.contrib import admin, messages

from accounts.admin import UserAdmin
from accounts.models import User
from sessions_app import services
from sessions_app.models import RevokeReason, UserSession


class ActiveSessionFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Active"), ("no", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.active()
        if self.value() == "no":
            return queryset.inactive()
        return queryset


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "device_name", "ip", "created_at", "last_seen_at", "expires_at", "revoked_at")
    list_filter = (ActiveSessionFilter, "revoked_reason", "created_at")
    search_fields = ("user__email", "user__username", "ip", "device_name")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in UserSession._meta.fields]
    actions = ["revoke_sessions"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected sessions")
    def revoke_sessions(self, request, queryset):
        revoked = sum(
            services.session_revoke_by_admin(session=session, admin=request.user, request=request)
            for session in queryset.select_related("user").filter(revoked_at__isnull=True)
        )
        self.message_user(request, f"Revoked {revoked} sessions.", messages.SUCCESS)


class UserSessionInline(admin.TabularInline):
    model = UserSession
    extra = 0
    can_delete = False
    fields = ("device_name", "ip", "created_at", "last_seen_at", "expires_at", "revoked_at", "revoked_reason")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


# accounts knows nothing of sessions: its user admin gains the sessions here (Django's documented
# way to extend another app's ModelAdmin: unregister it, register a subclass).
admin.site.unregister(User)


@admin.register(User)
class UserWithSessionsAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserSessionInline]
    actions = [*UserAdmin.actions, "revoke_all_sessions"]

    @admin.action(description="Revoke all sessions of selected users")
    def revoke_all_sessions(self, request, queryset):
        total = sum(services.session_revoke_all(user=user, reason=RevokeReason.REVOKED_BY_ADMIN) for user in queryset)
        self.message_user(request, f"Revoked {total} sessions.", messages.SUCCESS)
