from django.urls import reverse
from rest_framework import serializers

from config.serializers import StrictCharField, StrictModelSerializer
from privacy.models import DataExport


class AccountDeleteSerializer(serializers.Serializer):
    password = StrictCharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        max_length=4096,
        help_text="The current password. Without it, the session must have re-authenticated recently "
        "(POST /auth/reauthenticate): the only way for an account without a password.",
    )


class AccountDeletionSerializer(serializers.Serializer):
    deletion_scheduled_at = serializers.DateTimeField(
        help_text="When the account will be anonymised; until then staff can still cancel the deletion."
    )


class OrganizationToHandOverSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    slug = StrictCharField()


class LastOwnerErrorSerializer(serializers.Serializer):
    code = StrictCharField(help_text="`last_owner`.")
    message = StrictCharField()
    field = StrictCharField(allow_null=True)
    organizations = OrganizationToHandOverSerializer(
        many=True, help_text="Organizations to hand over: make another member owner of each, then try again."
    )


class LastOwnerErrorEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    errors = LastOwnerErrorSerializer(many=True)


class DataExportSerializer(StrictModelSerializer):
    error = StrictCharField(
        source="last_error", read_only=True, help_text="Why the export failed (or is being built again); else empty."
    )
    download_url = serializers.SerializerMethodField(help_text="Set once the export succeeded; needs the same sign-in.")
    started_at = serializers.DateTimeField(source="claimed_at", read_only=True, allow_null=True)

    class Meta:
        model = DataExport
        fields = ["id", "state", "error", "download_url", "created_at", "started_at", "finished_at", "expires_at"]
        read_only_fields = fields

    def get_download_url(self, export: DataExport) -> str | None:
        if not export.is_ready:
            return None
        path = reverse("user-export-download")
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
