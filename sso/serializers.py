from rest_framework import serializers

from config.serializers import StrictCharField, StrictModelSerializer
from sso.models import Provider, SocialIdentity


class ProviderSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=Provider.choices, help_text="The provider's name in URLs.")
    display_name = StrictCharField(help_text="What a sign-in button says.")
    kind = serializers.ChoiceField(choices=["oidc", "oauth2"], help_text="OpenID Connect, or plain OAuth 2.0 (GitHub).")


class AuthorizeQuerySerializer(serializers.Serializer):
    redirect_uri = StrictCharField(
        max_length=500, help_text="Where the provider sends the person back; one of SSO_REDIRECT_URIS."
    )


class AuthorizeSerializer(AuthorizeQuerySerializer):
    """The body of the signed-in starts (linking, re-authenticating)."""


class AuthorizationSerializer(serializers.Serializer):
    authorization_url = StrictCharField(help_text="Send the browser here (the provider's sign-in page).")
    state = StrictCharField(help_text="Also in the URL; the provider returns it to the redirect URI.")


class CallbackSerializer(serializers.Serializer):
    code = StrictCharField(max_length=2048, help_text="The `code` the provider put on the redirect URI.")
    state = StrictCharField(max_length=256, help_text="The `state` the provider put on the redirect URI.")
    device_name = StrictCharField(max_length=120, required=False, allow_blank=True, default="")


class SocialIdentitySerializer(StrictModelSerializer):
    class Meta:
        model = SocialIdentity
        fields = ["id", "provider", "email", "email_verified", "created_at", "last_used_at"]
        read_only_fields = fields
