import datetime

from django.conf import settings
from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.languages import SEARCH_LANGUAGES
from config.serializers import (
    LabelChoiceField,
    StrictCharField,
    StrictEmailField,
    StrictModelSerializer,
    StrictSlugField,
)
from organizations.models import Invitation, InvitationStatus, Membership, Organization, Role

# --- Organizations -------------------------------------------------------------------------


class OrganizationSerializer(StrictModelSerializer):
    role = LabelChoiceField(
        Role,
        source="caller_role",
        read_only=True,
        allow_null=True,
        help_text="The caller's role in this organization (null for a superuser who is not a member).",
    )
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "role", "member_count", "require_mfa", "language", "created_at", "updated_at"]
        read_only_fields = fields


LANGUAGE_HELP = (
    "The language its tasks are written in (a PostgreSQL text search configuration; `simple` stems nothing): "
    "search matches the stems of their words in it. Default `english`."
)


class OrganizationCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150)
    slug = StrictSlugField(
        max_length=50, required=False, help_text="Lower-case; derived from the name (and made unique) when absent."
    )
    language = serializers.ChoiceField(choices=SEARCH_LANGUAGES, required=False, help_text=LANGUAGE_HELP)


class OrganizationUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150, required=False)
    slug = StrictSlugField(max_length=50, required=False)
    language = serializers.ChoiceField(
        choices=SEARCH_LANGUAGES,
        required=False,
        help_text=LANGUAGE_HELP + " Its existing tasks are indexed again in the new language, in the background.",
    )
    require_mfa = serializers.BooleanField(
        required=False,
        help_text="Owners only: members without a second factor get 403 `mfa_required` here until they enrol.",
    )


class OrganizationDeleteSerializer(serializers.Serializer):
    password = StrictCharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        max_length=4096,
        help_text="The caller's current password. Without it, the session must have re-authenticated recently "
        "(POST /auth/reauthenticate): the only way for an account without a password.",
    )
    name = StrictCharField(max_length=150, help_text="The organization's name, typed back exactly.")


class DeletedOrganizationSerializer(StrictModelSerializer):
    deleted_by = UserReferenceSerializer(read_only=True, allow_null=True)
    restorable_until = serializers.SerializerMethodField(
        help_text="Until then its owners may restore it (ORGANIZATION_RESTORE_DAYS); then it is purged."
    )

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at", "deleted_at", "deleted_by", "restorable_until"]
        read_only_fields = fields

    def get_restorable_until(self, organization) -> datetime.datetime:
        return organization.deleted_at + datetime.timedelta(days=settings.ORGANIZATION_RESTORE_DAYS)


# --- Members -------------------------------------------------------------------------------


class MembershipSerializer(StrictModelSerializer):
    user = UserReferenceSerializer(read_only=True, with_email=True)
    role = LabelChoiceField(Role, read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "role", "joined_at"]


class MembershipCreateSerializer(serializers.Serializer):
    email = StrictEmailField(
        max_length=254,
        help_text="Email of an existing user; invite people who have no account. An account whose email is "
        "not verified is invited instead of added.",
    )
    role = LabelChoiceField(Role, default=Role.MEMBER)


class MembershipUpdateSerializer(serializers.Serializer):
    role = LabelChoiceField(Role)


# --- Invitations ---------------------------------------------------------------------------


class InvitationSerializer(StrictModelSerializer):
    role = LabelChoiceField(Role, read_only=True)
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    invited_by = UserReferenceSerializer(read_only=True, allow_null=True, with_email=True)
    accepted_by = UserReferenceSerializer(read_only=True, allow_null=True, with_email=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_by",
            "revoked_at",
        ]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    role = LabelChoiceField(Role, default=Role.MEMBER)


class OrganizationSummarySerializer(StrictModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class InvitationPublicSerializer(StrictModelSerializer):
    """What the holder of an invitation link may see before accepting."""

    organization = OrganizationSummarySerializer(read_only=True)
    role = LabelChoiceField(Role, read_only=True)
    invited_by = UserReferenceSerializer(read_only=True, allow_null=True, public=True)

    class Meta:
        model = Invitation
        fields = ["organization", "email", "role", "invited_by", "expires_at"]
        read_only_fields = fields
