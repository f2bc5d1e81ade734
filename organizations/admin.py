from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from rest_framework.exceptions import APIException

from organizations import services
from organizations.models import Invitation, InvitationStatus, Membership, Organization, Role


def _owners_left(organization_id, *, without_pk) -> bool:
    return Membership.objects.filter(organization_id=organization_id, role=Role.OWNER).exclude(pk=without_pk).exists()


def _report(modeladmin, request, done: int, verb: str, failures: list[str]) -> None:
    if done:
        modeladmin.message_user(request, f"{verb} {done} item(s).", messages.SUCCESS)
    for failure in failures:
        modeladmin.message_user(request, failure, messages.ERROR)


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """Staff edit roles freely here, but an organization must keep at least one owner."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        owners = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("role") == Role.OWNER
        ]
        if not owners:
            raise ValidationError("An organization must keep at least one owner.")


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "created_by", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["id", "created_by", "created_at", "updated_at"]
    list_select_related = ["created_by"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["organization", "user", "role"]

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and instance.role == Role.OWNER:
            moved = cleaned.get("organization") and cleaned["organization"].pk != instance.organization_id
            demoted = cleaned.get("role") is not None and cleaned["role"] != Role.OWNER
            if (moved or demoted) and not _owners_left(instance.organization_id, without_pk=instance.pk):
                raise ValidationError("This is the organization's last owner: make another member owner first.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "user__username", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["organization", "user"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["remove_members"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "remove" keeps the last-owner rule
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.OWNER and not _owners_left(obj.organization_id, without_pk=obj.pk):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Remove selected members (an organization keeps its last owner)", permissions=["delete"])
    def remove_members(self, request, queryset):
        done, failures = 0, []
        for membership in queryset.select_related("user", "organization"):
            try:
                services.membership_remove(membership=membership, actor=None)
                done += 1
            except APIException as exc:
                failures.append(f"{membership}: {exc.detail}")
        _report(self, request, done, "Removed", failures)


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return InvitationStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = {"accepted_at__isnull": True, "revoked_at__isnull": True}
        filters = {
            InvitationStatus.PENDING: {**open_, "expires_at__gt": now},
            InvitationStatus.EXPIRED: {**open_, "expires_at__lte": now},
            InvitationStatus.ACCEPTED: {"accepted_at__isnull": False},
            InvitationStatus.REVOKED: {"accepted_at__isnull": True, "revoked_at__isnull": False},
        }
        return queryset.filter(**filters[self.value()]) if self.value() in filters else queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are created through the API (which emails the link); staff resend or revoke them."""

    list_display = ["email", "organization", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = [InvitationStatusFilter, "role", "created_at"]
    search_fields = ["email", "organization__name", "organization__slug"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = [
        "id",
        "organization",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "sent_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    actions = ["resend_invitations", "revoke_invitations"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="status")
    def status(self, obj):
        return obj.status.label

    def _apply(self, request, queryset, service, verb):
        done, failures = 0, []
        for invitation in queryset.select_related("organization"):
            try:
                service(invitation=invitation, actor=None)
                done += 1
            except APIException as exc:
                failures.append(f"{invitation}: {exc.detail}")
        _report(self, request, done, verb, failures)

    @admin.action(description="Resend selected invitations (new link, new expiry)", permissions=["change"])
    def resend_invitations(self, request, queryset):
        self._apply(request, queryset, services.invitation_resend, "Resent")

    @admin.action(description="Revoke selected invitations", permissions=["change"])
    def revoke_invitations(self, request, queryset):
        self._apply(request, queryset, services.invitation_revoke, "Revoked")
