from rest_framework import serializers

from config.serializers import DownloadLinksSerializer, StrictCharField, StrictModelSerializer
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


# What the signed links of data exports are for (config.signed_links): they open this and nothing else.
SIGNED_DOWNLOAD_PURPOSE = "data-export-download"


class DataExportSerializer(DownloadLinksSerializer, StrictModelSerializer):
    signed_link_purpose = SIGNED_DOWNLOAD_PURPOSE
    signed_download_url_name = "user-export-signed-download"
    api_download_url_name = "user-export-download"

    error = StrictCharField(
        source="last_error", read_only=True, help_text="Why the export failed (or is being built again); else empty."
    )
    started_at = serializers.DateTimeField(source="claimed_at", read_only=True, allow_null=True)

    class Meta:
        model = DataExport
        fields = [
            "id",
            "state",
            "error",
            "download_url",
            "download_url_expires_at",
            "api_download_url",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields

    def file_is_ready(self, export: DataExport) -> bool:
        return export.is_ready
