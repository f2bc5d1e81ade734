from django.contrib import admin

from accounts.models import User
from sso.models import SocialIdentity, SSOAttempt


@admin.register(SocialIdentity)
class SocialIdentityAdmin(admin.ModelAdmin):
    """Staff see who linked which provider; removing a link is the person's own act (or deleting the row here)."""

    list_display = ("user", "provider", "email", "email_verified", "created_at", "last_used_at")
    list_filter = ("provider", "email_verified")
    search_fields = ("user__email", "user__username", "email", "subject")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("provider", "subject", "email", "email_verified", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(SSOAttempt)
class SSOAttemptAdmin(admin.ModelAdmin):
    """Read-only: for tracing a failed sign-in (the state and binding are kept only as hashes)."""

    list_display = ("provider", "intent", "user", "created_at", "expires_at", "used_at")
    list_filter = ("provider", "intent")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    exclude = ("code_verifier",)
    readonly_fields = [f.name for f in SSOAttempt._meta.fields if f.name != "code_verifier"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SocialIdentityInline(admin.TabularInline):
    model = SocialIdentity
    extra = 0
    fields = ("provider", "email", "email_verified", "created_at", "last_used_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


# The user admin gains the linked identities, as sessions_app adds its sessions: extend whatever
# admin the user model has now (Django's documented way: unregister it, register a subclass).
_user_admin_class = type(admin.site.get_model_admin(User))
admin.site.unregister(User)


@admin.register(User)
class UserWithIdentitiesAdmin(_user_admin_class):
    inlines = [*_user_admin_class.inlines, SocialIdentityInline]
