from django.contrib import admin, messages

from pats import services
from pats.models import PersonalAccessToken


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Read-only (a secret is made and seen only by its person); staff may revoke a leaked token."""

    list_display = ("name", "user", "token_prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "token_prefix", "user__email", "user__username")
    list_select_related = ("user",)
    exclude = ("token_hash",)
    readonly_fields = [
        "user",
        "name",
        "token_prefix",
        "scopes",
        "organizations",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        count = sum(
            services.token_revoke(token=token, actor=request.user, request=request, reason="staff")
            for token in queryset.select_related("user")
        )
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
