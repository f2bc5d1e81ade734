from django.conf import settings
from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.credentials import SCOPES
from config.serializers import BoundedListField, StrictCharField, StrictModelSerializer
from pats.models import PersonalAccessToken
from pats.tokens import TOKEN_PATTERN


class TokenOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    slug = StrictCharField()


class TokenSerializer(StrictModelSerializer):
    """A token as its person sees it: never the secret, which only the creation's answer holds."""

    scopes = BoundedListField(child=serializers.ChoiceField(choices=list(SCOPES)))
    organizations = TokenOrganizationSerializer(many=True)

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "token_prefix",
            "scopes",
            "organizations",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
        ]


class TokenCreatedSerializer(TokenSerializer):
    token = StrictCharField(help_text=f"The secret, shown this once: store it now. Matches `{TOKEN_PATTERN.pattern}`.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


class TokenCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    scopes = BoundedListField(child=serializers.ChoiceField(choices=list(SCOPES)), min_length=1)
    organizations = BoundedListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="The organizations the token reaches (yours). Or set `all_organizations`.",
    )
    all_organizations = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Every organization you belong to now (not those you join later).",
    )
    expires_at = serializers.DateTimeField(
        help_text=f"Required; at most {settings.PERSONAL_ACCESS_TOKEN_MAX_DAYS} days from now."
    )


class OrganizationTokenSerializer(StrictModelSerializer):
    """A token that reaches the organization, as its admins see it (not the other organizations it reaches)."""

    user = UserReferenceSerializer()
    scopes = BoundedListField(child=serializers.ChoiceField(choices=list(SCOPES)))

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "token_prefix",
            "user",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
        ]
