from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from accounts.models import User, discord_user_id_validator, username_validator
from config.serializers import (
    StrictCharField,
    StrictEmailField,
    StrictModelSerializer,
    StrictRegexField,
    StrictURLField,
)


class UserReferenceSerializer(StrictModelSerializer):
    """A user named in a response: a task's assignee, a notification's actor, a member, a session's owner.

    The reference is ``id``, ``username`` and ``full_name``, which any reader of the data may see, even
    once the user has left the organization. ``with_email=True`` adds the email where the reader may
    reach the user: the user themself, fellow members (member lists, invitations, imports) and
    superusers. ``public=True`` leaves out the id, for readers who are not signed in (an invitation
    link). Each shape is its own schema component (``UserReferenceSchema``).
    """

    class Meta:
        model = User
        fields = ["id", "email", "username", "full_name"]
        read_only_fields = fields

    def __init__(self, *args, with_email: bool = False, public: bool = False, **kwargs):
        self.with_email = with_email
        self.public = public
        super().__init__(*args, **kwargs)

    @property
    def component_name(self) -> str:
        return "PublicUserReference" if self.public else "UserContact" if self.with_email else "UserReference"

    # The schema's description of each shape (the docstring is for whoever writes a serializer).
    component_descriptions = {
        "UserReference": "A user named in a response: id, username and full name.",
        "UserContact": "A user named in a response, with the email: for the user themself, fellow members "
        "and superusers.",
        "PublicUserReference": "A user named in a response to a reader who is not signed in.",
    }

    def get_fields(self):
        fields = super().get_fields()
        if not self.with_email:
            del fields["email"]
        if self.public:
            del fields["id"]
        return fields


def user_reference(user: User | None) -> dict | None:
    """``UserReferenceSerializer(user).data`` built directly, for responses rendered by hand for speed."""
    if user is None:
        return None
    return {"id": str(user.pk), "username": user.username, "full_name": user.full_name}


class UserReferenceSchema(OpenApiSerializerExtension):
    """Names each shape of ``UserReferenceSerializer`` apart, so the schema has one component per shape."""

    target_class = UserReferenceSerializer
    match_subclasses = True

    def get_name(self, auto_schema, direction):
        return self.target.component_name

    def get_identity(self, auto_schema, direction):
        return self.target.component_name

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "description": self.target.component_descriptions[self.target.component_name]}


class MeSerializer(StrictModelSerializer):
    """One's own profile, with notification settings.

    ``webhook_secret`` signs the webhook requests (see the README, "Webhooks"); only its owner
    ever sees it, here.
    """

    # Declared for the schema: the model's URLField, read-only, would be documented as a URI and never as "".
    webhook_url = StrictURLField(
        read_only=True, allow_blank=True, help_text="POST notifications to this URL; empty when none is set."
    )
    email_verified = serializers.BooleanField(
        read_only=True, help_text="Whether this person proved they receive mail at `email`."
    )
    pending_email = StrictEmailField(
        read_only=True,
        allow_blank=True,
        help_text="A new email asked for, which replaces `email` once verified; empty when none.",
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "pending_email",
            "username",
            "full_name",
            "notify_email",
            "webhook_url",
            "webhook_secret",
            "discord_user_id",
            "is_staff",
            "is_superuser",
            "date_joined",
        ]
        read_only_fields = fields


class MeUpdateSerializer(serializers.Serializer):
    email = StrictEmailField(
        required=False,
        max_length=254,
        help_text="A new email (with `current_password`): it becomes `pending_email` and replaces `email` once "
        "verified through `POST /auth/email/verify`. The current email cancels a pending change.",
    )
    username = StrictCharField(required=False, max_length=30, validators=[username_validator])
    full_name = StrictCharField(required=False, allow_blank=True, max_length=150)
    notify_email = serializers.BooleanField(required=False)
    webhook_url = StrictURLField(required=False, allow_blank=True, max_length=500)
    rotate_webhook_secret = serializers.BooleanField(
        required=False, write_only=True, help_text="Replace the webhook signing secret with a new one."
    )
    discord_user_id = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=20,
        validators=[discord_user_id_validator],
        help_text="Your Discord user id (17-20 digits; empty to remove): an organization's Discord channel pings "
        "you when a task is assigned to you or you are mentioned.",
    )
    current_password = StrictCharField(required=False, write_only=True, trim_whitespace=False)


class RegisterSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    # The model's rule, here too so that the schema states it (its pattern).
    username = StrictCharField(max_length=30, validators=[username_validator])
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=128)
    full_name = StrictCharField(required=False, allow_blank=True, max_length=150, default="")


class UserCreateSerializer(RegisterSerializer):
    is_staff = serializers.BooleanField(required=False, default=False)
    is_superuser = serializers.BooleanField(required=False, default=False)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = StrictCharField(trim_whitespace=False, max_length=128)
    new_password = StrictCharField(trim_whitespace=False, max_length=128)


class PasswordResetSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = StrictCharField(max_length=200)
    new_password = StrictCharField(trim_whitespace=False, max_length=128)


class EmailVerifySerializer(serializers.Serializer):
    """Either the link's ``token``, or the ``email`` the code was sent to and the ``code``."""

    token = StrictCharField(required=False, max_length=200, help_text="The token of the emailed link.")
    email = StrictEmailField(required=False, max_length=254, help_text="The address the code was sent to.")
    code = StrictRegexField(
        r"^[0-9]{6}$", required=False, max_length=6, help_text="The 6-digit code of the email (with `email`)."
    )

    def validate(self, attrs):
        if attrs.get("token"):
            if attrs.get("code") or attrs.get("email"):
                raise serializers.ValidationError("Give either the token, or the email and the code.", code="invalid")
            return attrs
        missing = {
            name: serializers.ErrorDetail("Required without a token.", code="required")
            for name in ("email", "code")
            if not attrs.get(name)
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class EmailVerifiedSerializer(serializers.Serializer):
    email = StrictEmailField(help_text="The account's email, now verified.")
    email_verified = serializers.BooleanField()
    email_changed = serializers.BooleanField(help_text="True when this confirmed an email change.")


class EmailResendSerializer(serializers.Serializer):
    email = StrictEmailField(
        required=False,
        max_length=254,
        help_text="Not signed in: the address to verify (answered alike whether or not an account has it). "
        "Signed in: leave it out to resend your own verification.",
    )
