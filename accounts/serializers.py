from rest_framework import serializers

from accounts.models import User, username_validator


class UserSummarySerializer(serializers.ModelSerializer):
    """A user as other people see them."""

    class Meta:
        model = User
        fields = ["id", "email", "username", "full_name"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    """One's own profile, with notification settings.

    ``webhook_secret`` signs the webhook requests (see the README, "Webhooks"); only its owner
    ever sees it, here.
    """

    # Declared for the schema: the model's URLField, read-only, would be documented as a URI and never as "".
    webhook_url = serializers.URLField(
        read_only=True, allow_blank=True, help_text="POST notifications to this URL; empty when none is set."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "full_name",
            "notify_email",
            "webhook_url",
            "webhook_secret",
            "is_staff",
            "is_superuser",
            "date_joined",
        ]
        read_only_fields = fields


class MeUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    username = serializers.CharField(required=False, max_length=30, validators=[username_validator])
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    notify_email = serializers.BooleanField(required=False)
    webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    rotate_webhook_secret = serializers.BooleanField(
        required=False, write_only=True, help_text="Replace the webhook signing secret with a new one."
    )
    current_password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # The model's rule, here too so that the schema states it (its pattern).
    username = serializers.CharField(max_length=30, validators=[username_validator])
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")


class UserCreateSerializer(RegisterSerializer):
    is_staff = serializers.BooleanField(required=False, default=False)
    is_superuser = serializers.BooleanField(required=False, default=False)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)
