from django.conf import settings
from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.serializers import StrictCharField, StrictModelSerializer
from mfa.serializers import FACTORS
from sessions_app.models import UserSession


class LoginSerializer(serializers.Serializer):
    email = StrictCharField(max_length=254, help_text="Email, or the @username.")
    password = StrictCharField(max_length=128, trim_whitespace=False)
    device_name = StrictCharField(max_length=120, required=False, allow_blank=True)


class RefreshSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)

    def get_fields(self):
        fields = super().get_fields()
        # With the refresh cookie on (JWT_REFRESH_COOKIE), a browser sends the token as the cookie.
        fields["refresh"].required = not settings.JWT_REFRESH_COOKIE
        return fields


class ReauthenticateSerializer(serializers.Serializer):
    password = StrictCharField(
        max_length=128, trim_whitespace=False, required=False, help_text="The password; or give `code`."
    )
    code = StrictCharField(
        max_length=64,
        required=False,
        help_text="Instead of the password: a code of the authenticator app (accounts without a password need it).",
    )

    def validate(self, attrs):
        if bool(attrs.get("password")) == bool(attrs.get("code")):
            raise serializers.ValidationError(
                "Give the password or a code of the authenticator app, not both.", code="password_or_code"
            )
        return attrs


class LoginMfaSerializer(serializers.Serializer):
    mfa_token = StrictCharField(max_length=256, help_text="From the answer of /auth/login.")
    code = StrictCharField(max_length=64, help_text="A code of the authenticator app, or a recovery code.")
    method = serializers.ChoiceField(
        choices=FACTORS,
        required=False,
        help_text="Which `code` is; when absent, digits are a TOTP code and anything else a recovery code.",
    )


class AccessTokenSerializer(serializers.Serializer):
    access = StrictCharField()
    access_expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class TokenPairSerializer(serializers.Serializer):
    access = StrictCharField()
    refresh = StrictCharField(required=False, help_text="Absent when the refresh cookie is on.")
    csrf_token = StrictCharField(
        required=False, help_text="With the refresh cookie on: send it as X-CSRFToken when refreshing by the cookie."
    )
    access_expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_expires_in = serializers.IntegerField(help_text="Seconds until the refresh token expires.")


class SessionSerializer(StrictModelSerializer):
    is_current = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = UserSession
        fields = [
            "id",
            "device_name",
            "user_agent",
            "ip",
            "sign_in_method",
            "created_at",
            "authenticated_at",
            "last_seen_at",
            "expires_at",
            "is_active",
            "is_current",
        ]
        read_only_fields = fields

    def get_is_current(self, session) -> bool:
        return str(session.pk) == str(self.context.get("current_session_id"))


class LoginResponseSerializer(TokenPairSerializer):
    user = UserReferenceSerializer(with_email=True)
    session = SessionSerializer()


class AdminSessionSerializer(SessionSerializer):
    user = UserReferenceSerializer(read_only=True, with_email=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "user", "revoked_at", "revoked_reason"]
        read_only_fields = fields
