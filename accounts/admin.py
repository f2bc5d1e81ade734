from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from accounts import services
from accounts.models import EmailVerification, User
from notifications import webhooks
from notifications.services import user_webhook_secret_ensure


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


class EmailVerifiedFilter(admin.SimpleListFilter):
    title = "email verified"
    parameter_name = "email_verified"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(email_verified_at__isnull=self.value() == "no")
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "username", "full_name", "email_verified", "is_active", "is_staff", "date_joined")
    list_filter = (EmailVerifiedFilter, "is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("email", "username", "full_name", "pending_email")
    # Verification is recorded only through its services (audited): the "mark verified" action here.
    readonly_fields = ("id", "date_joined", "last_login", "email_verified_at", "pending_email", "verification_emails")
    fieldsets = (
        (None, {"fields": ("id", "email", "username", "password")}),
        ("Email verification", {"fields": ("email_verified_at", "pending_email", "verification_emails")}),
        ("Profile", {"fields": ("full_name", "notify_email", "webhook_url")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "full_name", "password1", "password2")}),
    )
    actions = ["deactivate_users", "mark_email_verified"]

    @admin.display(description="verification emails")
    def verification_emails(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:accounts_emailverification_changelist") + "?" + urlencode({"user": obj.pk})
        return format_html('<a href="{}">{} sent</a>', url, obj.email_verifications.count())

    @admin.display(boolean=True, description="email verified", ordering="email_verified_at")
    def email_verified(self, obj):
        return obj.email_verified

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            # Staff typed a new address: nobody has proved it yet.
            obj.email_verified_at = None
        if change and "is_active" in form.changed_data and obj.is_active:
            # Staff brought a deleted account back: it is no longer to be anonymised.
            obj.deletion_scheduled_at = None
        super().save_model(request, obj, form, change)
        if "webhook_url" in form.changed_data:
            user_webhook_secret_ensure(user=obj)
        # Unticking "active" in the form must end the sessions too, as the action does.
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(user=obj, actor=request.user, request=request)

    @admin.action(description="Deactivate selected users (and end their sessions)")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, actor=request.user, request=request)
        self.message_user(request, f"Deactivated {queryset.count()} users.", messages.SUCCESS)

    @admin.action(description="Mark email verified (audited; only when you know the address is theirs)")
    def mark_email_verified(self, request, queryset):
        done = sum(
            services.user_email_mark_verified(user=user, request=request, actor=request.user, method="admin")
            for user in queryset
        )
        self.message_user(request, f"Marked {done} email address(es) verified.", messages.SUCCESS)


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    """Verification emails, to answer "I never got the email": read-only, written by their services."""

    list_display = ("email", "user", "purpose", "created_at", "sent_at", "expires_at", "attempts", "used_at")
    list_filter = ("purpose", "created_at")
    search_fields = ("email", "user__email", "user__username")
    list_select_related = ("user",)
    readonly_fields = (
        "id",
        "user",
        "email",
        "purpose",
        "attempts",
        "created_at",
        "sent_at",
        "expires_at",
        "used_at",
        "superseded_at",
    )
    exclude = ("token_hash", "code_hash")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
