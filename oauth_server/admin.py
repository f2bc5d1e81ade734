"""Admin: django-oauth-toolkit registers applications, codes and tokens itself (its admins never show a
token or a code; tokens are stored as their SHA-256 anyway). Grants are here, revocable."""

from django.contrib import admin, messages

from oauth_server import services
from oauth_server.models import OAuthGrant


@admin.register(OAuthGrant)
class OAuthGrantAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "application", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__email", "user__username", "application__name", "application__client_id")
    raw_id_fields = ("user", "application")
    filter_horizontal = ("organizations",)
    readonly_fields = ("id", "user", "application", "scopes", "organizations", "created_at", "updated_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # consent comes from the person, on the consent page

    @admin.action(description="Revoke the selected grants (their tokens stop at once)")
    def revoke(self, request, queryset):
        count = 0
        for grant in queryset.filter(revoked_at__isnull=True):
            services.oauth_grant_revoke(grant=grant, request=request, actor=request.user, reason="staff")
            count += 1
        self.message_user(request, f"{count} grant(s) revoked.", messages.SUCCESS)
