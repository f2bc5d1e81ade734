from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.serializers import BoundedListField, StrictCharField, StrictModelSerializer
from imports.models import ImportJob, ImportKind, ImportMode, ImportRowError

STATUS_FIELDS = [
    "id",
    "state",
    "phase",
    "total",
    "processed",
    "created",
    "failed",
    "skipped",
    "valid",
    "progress",
    "warnings",
    "message",
    "errors_count",
    "started_at",
    "finished_at",
    "updated_at",
]


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A CSV file, UTF-8 (a BOM is fine), comma-, semicolon- or tab-separated, with a header line."
    )
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    mode = serializers.ChoiceField(
        choices=ImportMode.choices,
        default=ImportMode.SKIP_INVALID,
        help_text="skip_invalid: valid rows load, each rejected row is listed. all_or_nothing: any invalid row, "
        "nothing loads.",
    )
    dry_run = serializers.BooleanField(default=False, help_text="Validate and report only; nothing is loaded.")


class ImportStatusSerializer(StrictModelSerializer):
    progress = serializers.IntegerField(read_only=True, help_text="0-100 over the whole job.")
    valid = serializers.SerializerMethodField(help_text="Rows that passed validation so far in the current pass.")
    errors_count = serializers.IntegerField(
        source="errors_recorded", read_only=True, help_text="Problems listed at /imports/{id}/errors."
    )
    warnings = BoundedListField(child=StrictCharField(), read_only=True)

    class Meta:
        model = ImportJob
        fields = STATUS_FIELDS
        read_only_fields = fields

    def get_valid(self, job) -> int:
        return max(0, job.processed - job.failed) if job.phase == "validating" else job.created + job.skipped


class ImportJobSerializer(ImportStatusSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    created_by = UserReferenceSerializer(read_only=True, allow_null=True, with_email=True)
    file_name = StrictCharField(source="original_name", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            *STATUS_FIELDS[:1],
            "organization",
            "kind",
            "mode",
            "dry_run",
            "file_name",
            "size_bytes",
            *STATUS_FIELDS[1:],
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ImportRowErrorSerializer(StrictModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["line", "column", "code", "message", "value"]
        read_only_fields = fields
