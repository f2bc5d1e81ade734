from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from config.admin import ReadOnlyInline, apply_each
from config.errors import Conflict
from organizations import services
from organizations.models import Invitation, InvitationEmail, InvitationStatus, Membership, Organization, Role


def _owner_kept(organization_id, *, losing: set, gaining: bool) -> None:
    """The service's "an organization keeps an owner" rule, as a form error."""
    try:
        services.organization_owner_require(organization_id=organization_id, losing=losing, gaining=gaining, lock=False)
    except Conflict as exc:
        raise forms.ValidationError(exc.message) from None


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """Staff edit roles freely here, through the membership services, which keep an owner."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        losing, gaining = set(), False
        for form in self.forms:
            if not form.cleaned_data:
                continue
            was_owner = form.instance.pk is not None and form.initial.get("role") == Role.OWNER
            is_owner = not form.cleaned_data.get("DELETE") and form.cleaned_data.get("role") == Role.OWNER
            if was_owner and not is_owner:
                losing.add(form.instance.pk)
            gaining = gaining or (is_owner and not was_owner)
        _owner_kept(self.instance.pk, losing=losing, gaining=gaining)

    def save(self, commit=True):
        """Promotions and additions first, then demotions, then removals: an owner is kept at every step.

        A user whose email is not verified is not added but invited (``invited``), as through the API.
        """
        self.new_objects, self.changed_objects, self.deleted_objects, self.invited = [], [], [], []
        added = [form for form in self.extra_forms if form.has_changed() and form not in self.deleted_forms]
        for form in sorted(added, key=lambda f: -f.cleaned_data["role"]):
            data = form.cleaned_data
            added_as = services.membership_add_or_invite(
                organization=self.instance, email=data["user"].email, role=data["role"], actor=None
            )
            if isinstance(added_as, Invitation):
                self.invited.append(added_as)
                continue
            form.instance = added_as
            self.new_objects.append(form.instance)
        changed = [form for form in self.initial_forms if form in self.deleted_forms or form.has_changed()]
        for form in sorted(changed, key=lambda f: (f in self.deleted_forms, -(f.cleaned_data.get("role") or 0))):
            membership = Membership.objects.get(pk=form.instance.pk)
            if form in self.deleted_forms:
                services.membership_remove(membership=membership, actor=None)
                self.deleted_objects.append(membership)
            else:
                role = form.cleaned_data["role"]
                services.membership_change_role(membership=membership, role=role, actor=None)
                self.changed_objects.append((membership, form.changed_data))
        return [*self.new_objects, *(membership for membership, _ in self.changed_objects)]


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "require_mfa", "created_by", "created_at"]
    list_filter = ["require_mfa"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # The language is changed through the API (PATCH /organizations/{id}), which indexes the tasks again in it.
    readonly_fields = ["id", "language", "created_by", "created_at", "updated_at"]
    list_select_related = ["created_by"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service, so the change is checked and recorded (the organization's audit log).
            services.organization_update(
                organization=Organization.objects.get(pk=obj.pk),
                name=obj.name,
                slug=obj.slug,
                require_mfa=obj.require_mfa,
                actor=None,
            )
            return
        obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for invitation in getattr(formset, "invited", []):
            self.message_user(request, _invited_message(invitation), messages.WARNING)


def _invited_message(invitation: Invitation) -> str:
    return (
        f"{invitation.email} was not added: the account's email is not verified, so whoever registered it may "
        f"not own the address. An invitation was emailed to it instead; accepting it makes them a member."
    )


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["organization", "user", "role"]

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and self.initial.get("role") == Role.OWNER and cleaned.get("role") not in (None, Role.OWNER):
            _owner_kept(instance.organization_id, losing={instance.pk}, gaining=False)
        user, organization = cleaned.get("user"), cleaned.get("organization")
        if not instance.pk and user is not None and organization is not None and not user.email_verified:
            pending = Invitation.objects.filter(
                organization=organization, email__iexact=user.email, accepted_at=None, revoked_at=None
            )
            if pending.filter(expires_at__gt=timezone.now()).exists():
                raise forms.ValidationError(
                    "This account's email is not verified and the address has a pending invitation already; "
                    "resend that invitation instead."
                )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Memberships change through the services, so staff keep the rules the API keeps."""

    form = MembershipAdminForm
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "user__username", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["organization", "user"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["remove_members"]

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person in one organization: to move someone, remove and add them.
        return [*self.readonly_fields, "organization", "user"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            membership = Membership.objects.get(pk=obj.pk)
            services.membership_change_role(membership=membership, role=form.cleaned_data["role"], actor=None)
            return
        created = services.membership_add_or_invite(
            organization=obj.organization, email=obj.user.email, role=obj.role, actor=None
        )
        if isinstance(created, Invitation):  # not verified: invited instead (see response_add)
            obj.invitation = created
            return
        obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at

    def log_addition(self, request, obj, message):
        if getattr(obj, "invitation", None) is None:  # no membership was made when the address was invited
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        invitation = getattr(obj, "invitation", None)
        if invitation is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, _invited_message(invitation), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:organizations_invitation_change", args=[invitation.pk]))

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=None)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "remove" keeps the last-owner rule
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.OWNER:
            try:
                services.organization_owner_require(organization_id=obj.organization_id, losing={obj.pk}, lock=False)
            except Conflict:
                return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Remove selected members (an organization keeps its last owner)", permissions=["delete"])
    def remove_members(self, request, queryset):
        apply_each(
            self,
            request,
            queryset.select_related("user", "organization"),
            lambda membership: services.membership_remove(membership=membership, actor=None),
            "Removed",
        )


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


class InvitationEmailInline(ReadOnlyInline):
    """Each email of the link (a job row): whether it went out, and why not."""

    model = InvitationEmail
    fields = ("created_at", "state", "attempts", "sent_at", "last_error", "next_attempt_at")


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
    inlines = [InvitationEmailInline]
    actions = ["resend_invitations", "revoke_invitations"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="status")
    def status(self, obj):
        return obj.status.label

    def _apply(self, request, queryset, service, verb):
        queryset = queryset.select_related("organization")
        apply_each(self, request, queryset, lambda invitation: service(invitation=invitation, actor=None), verb)

    @admin.action(description="Resend selected invitations (new link, new expiry)", permissions=["change"])
    def resend_invitations(self, request, queryset):
        self._apply(request, queryset, services.invitation_resend, "Resent")

    @admin.action(description="Revoke selected invitations", permissions=["change"])
    def revoke_invitations(self, request, queryset):
        self._apply(request, queryset, services.invitation_revoke, "Revoked")
