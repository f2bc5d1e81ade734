from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import User
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
    actions = ["deactivate_users"]

    def save_model(self, request, obj, form, change):
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
