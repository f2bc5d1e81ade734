from django.contrib import admin, messages

from config.admin import FileDownloadAdmin
from privacy import services
from privacy.models import AccountDeletion, DataExport


@admin.register(DataExport)
class DataExportAdmin(FileDownloadAdmin):
    """Exports are made by the API and the worker; staff watch them here (and may download one, e.g. to
    answer a request made by other means)."""

    list_display = ("id", "user", "state", "created_at", "finished_at", "expires_at", "download")
    list_filter = ("state",)
    search_fields = ("id", "user__email", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = (
        "id",
        "user",
        "state",
        "attempts",
        "last_error",
        "download",
        "created_at",
        "claimed_at",
        "heartbeat_at",
        "finished_at",
        "expires_at",
    )
    readonly_fields = fields

    download_label = "Download JSON"

    def file_content_type(self, export: DataExport) -> str:
        return "application/json"


class DeletionStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("anonymised", "Anonymised")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(anonymised_at__isnull=True)
        if self.value() == "anonymised":
            return queryset.filter(anonymised_at__isnull=False)
        return queryset


@admin.register(AccountDeletion)
class AccountDeletionAdmin(admin.ModelAdmin):
    """Accounts whose owner asked for deletion: pending ones can be cancelled (the account is active
    again) or anonymised at once; the users themselves are edited under Accounts."""

    list_display = ("id", "email", "username", "is_active", "deletion_scheduled_at", "anonymised_at")
    list_filter = (DeletionStateFilter,)
    search_fields = ("id", "email", "username")
    ordering = ("deletion_scheduled_at",)
    fields = ("id", "email", "username", "full_name", "is_active", "deletion_scheduled_at", "anonymised_at")
    readonly_fields = fields
    actions = ["cancel_deletion", "anonymise_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deletion_scheduled_at__isnull=False)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the deletion (reactivate the account)", permissions=["change"])
    def cancel_deletion(self, request, queryset):
        cancelled = sum(services.account_deletion_cancel(user=user) for user in queryset)
        self.message_user(
            request, f"Cancelled {cancelled} deletions; those accounts are active again.", messages.SUCCESS
        )

    @admin.action(description="Anonymise now (cannot be undone)", permissions=["change"])
    def anonymise_now(self, request, queryset):
        done = [
            result
            for user in queryset
            if (result := services.account_anonymise(user_id=user.pk, actor=request.user, request=request))
        ]
        self.message_user(request, f"Anonymised {len(done)} accounts.", messages.SUCCESS)
