"""Staff see a person's second factors and reset them; no secret is ever shown.

django-otp registers an admin for ``TOTPDevice`` that shows each device's key and its QR code: anyone
with admin access could then copy a person's authenticator. It is replaced here by a read-only one
without the key, and people's second factors are seen (and reset) on the "Second factors" page.
"""

from django.contrib import admin, messages
from django.db.models import Count, Exists, Max, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import services
from mfa.models import MfaChallenge, RecoveryCode, SecondFactorUser


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SecondFactorUser)
class SecondFactorUserAdmin(ReadOnlyAdmin):
    """One row per person: their authenticator app and recovery codes, and the reset action."""

    list_display = ("email", "totp_confirmed", "totp_created_at", "totp_last_used_at", "recovery_codes_left")
    list_filter = ("is_active",)
    search_fields = ("email", "username", "full_name")
    ordering = ("email",)
    fields = ("email", "totp_confirmed", "totp_created_at", "totp_last_used_at", "recovery_codes_left")
    readonly_fields = fields
    actions = ["reset_second_factors"]

    def get_queryset(self, request):
        devices = TOTPDevice.objects.filter(user=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_totp=Exists(devices.filter(confirmed=True)),
                totp_created=Max("totpdevice__created_at", filter=Q(totpdevice__confirmed=True)),
                totp_last_used=Max("totpdevice__last_used_at", filter=Q(totpdevice__confirmed=True)),
                codes_left=Count("recovery_codes", filter=Q(recovery_codes__used_at__isnull=True), distinct=True),
            )
        )

    def has_delete_permission(self, request, obj=None):
        return False  # people are deleted from the Users page; this one only resets their factors

    @admin.display(boolean=True, description="authenticator app", ordering="has_totp")
    def totp_confirmed(self, obj):
        return obj.has_totp

    @admin.display(description="enabled at", ordering="totp_created")
    def totp_created_at(self, obj):
        return obj.totp_created

    @admin.display(description="last used", ordering="totp_last_used")
    def totp_last_used_at(self, obj):
        return obj.totp_last_used

    @admin.display(description="recovery codes left", ordering="codes_left")
    def recovery_codes_left(self, obj):
        return obj.codes_left

    @admin.action(description="Reset second factors (they sign in with the password alone, and may enrol again)")
    def reset_second_factors(self, request, queryset):
        reset = sum(services.mfa_reset_by_admin(user=user, admin=request.user, request=request) for user in queryset)
        self.message_user(request, f"Reset the second factors of {reset} people.", messages.SUCCESS)

    def get_actions(self, request):
        # The reset is a change to the person: allowed to staff who may change users.
        actions = super().get_actions(request)
        if not request.user.has_perm("accounts.change_user"):
            actions.pop("reset_second_factors", None)
        return actions


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    """Devices without their keys."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    list_filter = ("confirmed",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(ReadOnlyAdmin):
    """Whether codes were used, never the codes (only their HMACs are stored, and not shown either)."""

    list_display = ("user", "created_at", "used_at")
    list_filter = ("used_at",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "created_at", "used_at")
    readonly_fields = fields


@admin.register(MfaChallenge)
class MfaChallengeAdmin(ReadOnlyAdmin):
    """Sign-ins waiting for their second factor (the token's hash is not shown)."""

    list_display = ("user", "method", "device_name", "ip", "created_at", "expires_at", "used_at", "failed_attempts")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "method", "device_name", "user_agent", "ip", "created_at", "expires_at", "used_at")
    readonly_fields = fields
