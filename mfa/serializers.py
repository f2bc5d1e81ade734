from rest_framework import serializers

from config.serializers import BoundedListField, StrictCharField
from mfa.selectors import RECOVERY_CODE, TOTP

FACTORS = [TOTP, RECOVERY_CODE]


class CodeSerializer(serializers.Serializer):
    code = StrictCharField(max_length=64, help_text="The 6-digit code the authenticator app shows.")


class TotpEnrolmentSerializer(serializers.Serializer):
    secret = StrictCharField(help_text="The shared secret, base32, for typing into an app by hand.")
    otpauth_uri = StrictCharField(source="uri", help_text="The `otpauth://totp/...` URI with issuer and account.")
    qr_code = StrictCharField(source="qr_svg", help_text="The URI as a QR code: a `data:image/svg+xml` URI.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = BoundedListField(
        child=StrictCharField(),
        help_text="Ten single-use codes, shown this once: only their hashes are kept.",
    )


class TotpStateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(source="totp_enabled")
    enabled_at = serializers.DateTimeField(source="totp_enabled_at", allow_null=True)
    last_used_at = serializers.DateTimeField(source="totp_last_used_at", allow_null=True)


class RecoveryCodesStateSerializer(serializers.Serializer):
    remaining = serializers.IntegerField(source="recovery_codes_remaining")
    generated_at = serializers.DateTimeField(source="recovery_codes_generated_at", allow_null=True)


class MfaStateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="Signing in asks for a second factor.")
    methods = BoundedListField(child=serializers.ChoiceField(choices=FACTORS))
    totp = TotpStateSerializer(source="*")
    recovery_codes = RecoveryCodesStateSerializer(source="*")


class MfaChallengeSerializer(serializers.Serializer):
    """What signing in answers, instead of a session, when the account has a second factor."""

    mfa_required = serializers.BooleanField(help_text="Always true: POST the code to /auth/login/mfa.")
    mfa_token = StrictCharField(source="token", help_text="Short-lived, single use, for this sign-in only.")
    mfa_methods = BoundedListField(source="methods", child=serializers.ChoiceField(choices=FACTORS))
    expires_in = serializers.IntegerField(help_text="Seconds until the mfa_token expires.")
