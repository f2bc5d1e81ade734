from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.credentials import SCOPES
from config.serializers import StrictCharField, StrictModelSerializer
from oauth_server.models import OAuthGrant


class GrantApplicationSerializer(serializers.Serializer):
    client_id = StrictCharField()
    name = StrictCharField()


class GrantOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()


class ScopeSerializer(serializers.Serializer):
    name = StrictCharField()
    description = StrictCharField()


class OAuthGrantSerializer(StrictModelSerializer):
    """A program the person authorized: what it may do, where, since when."""

    application = GrantApplicationSerializer()
    scopes = serializers.SerializerMethodField()
    organizations = GrantOrganizationSerializer(many=True)

    class Meta:
        model = OAuthGrant
        fields = ["id", "application", "scopes", "organizations", "created_at", "updated_at"]

    @extend_schema_field(ScopeSerializer(many=True))
    def get_scopes(self, grant):
        return [{"name": name, "description": SCOPES.get(name, name)} for name in grant.scopes]


class OrganizationOAuthGrantSerializer(OAuthGrantSerializer):
    """The same, with the person who granted it, for the organization's administrators."""

    user = serializers.SerializerMethodField()

    class UserSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        username = StrictCharField()
        full_name = StrictCharField()

    class Meta(OAuthGrantSerializer.Meta):
        fields = [*OAuthGrantSerializer.Meta.fields, "user"]

    @extend_schema_field(UserSerializer)
    def get_user(self, grant):
        return {"id": str(grant.user.pk), "username": grant.user.username, "full_name": grant.user.full_name}
