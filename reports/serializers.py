import datetime

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.serializers import DownloadLinksSerializer, StrictCharField, StrictModelSerializer
from reports.metrics import TOTALS
from reports.models import ExportFormat, ExportState, ReportExport, ReportSettings
from tasks_app.models import Priority, Status

SUMMARY_FORMATS = ["json", "csv"]
# What `from` and `to` accept, for the schema: a date, or blank or null for the default.
DATE_OR_BLANK = {"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}], "nullable": True}


class _RangeFields(serializers.Serializer):
    """``from`` and ``to``: ISO dates, optional, blank meaning absent. ``from`` is a keyword, hence ``get_fields``."""

    def to_internal_value(self, data):
        # `?from=&to=` (a form with the dates left empty) means the defaults, as leaving them out does.
        if hasattr(data, "items"):
            data = {key: value for key, value in data.items() if not (key in ("from", "to") and value in ("", None))}
        return super().to_internal_value(data)

    def get_fields(self):
        return {
            **super().get_fields(),
            "from": extend_schema_field(DATE_OR_BLANK)(
                serializers.DateField(
                    required=False,
                    help_text="First day (YYYY-MM-DD, UTC). Default: the Monday 11 weeks before `to`'s week.",
                )
            ),
            "to": extend_schema_field(DATE_OR_BLANK)(
                serializers.DateField(required=False, help_text="Last day, included (YYYY-MM-DD, UTC). Default: today.")
            ),
        }


class ReportQuerySerializer(_RangeFields):
    format = serializers.ChoiceField(
        choices=SUMMARY_FORMATS, required=False, default="json", help_text="`csv` answers the same figures as CSV."
    )


class ReportExportCreateSerializer(_RangeFields):
    format = serializers.ChoiceField(choices=ExportFormat.choices, help_text="`html` (with charts) or `csv`.")


# --- The summary ---------------------------------------------------------------------------


class ReportOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = StrictCharField()
    slug = StrictCharField()


class ReportRangeSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text="Days in the range, both ends included.")
    as_of = serializers.DateField(help_text="The day the overdue rule is judged on: the earlier of `to` and today.")

    def get_fields(self):
        return {
            "from": serializers.DateField(help_text="First day of the range."),
            "to": serializers.DateField(help_text="Last day of the range, included."),
            **super().get_fields(),
        }


# One integer field per total of reports.metrics.TOTALS, in their order.
ReportTotalsSerializer = type(
    "ReportTotalsSerializer",
    (serializers.Serializer,),
    {total.key: serializers.IntegerField(help_text=total.help_text or None) for total in TOTALS},
)


class StatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.labels)
    count = serializers.IntegerField()


class PriorityCountSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.labels)
    count = serializers.IntegerField()


# The rows of the two lists (an assignee, a week: 105 weeks in two years) are written directly, as the
# fields would write them: DRF's path through every field of every row cost a report of two years about
# 10 ms, as much as its SQL at 10,000 tasks (docs/performance.md, "Reports"). The fields stay for the schema.
_date = serializers.DateField()


class AssigneeFiguresSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True, help_text="Null for the row of unassigned tasks.")
    username = StrictCharField(allow_null=True)
    name = StrictCharField(help_text="Full name, else username; `Unassigned` for the unassigned row.")
    open = serializers.IntegerField()
    done = serializers.IntegerField()
    overdue = serializers.IntegerField()

    def to_representation(self, row):
        return {
            "id": None if row["id"] is None else str(row["id"]),
            "username": row["username"],
            "name": row["name"],
            "open": row["open"],
            "done": row["done"],
            "overdue": row["overdue"],
        }


class WeekFiguresSerializer(serializers.Serializer):
    week = StrictCharField(help_text="ISO year and week, e.g. `2030-W01`.")
    start = serializers.DateField(help_text="The week's Monday.")
    created = serializers.IntegerField(help_text="Tasks created that week, within the range.")
    completed = serializers.IntegerField(help_text="Tasks completed that week, within the range.")

    def to_representation(self, week):
        return {
            "week": week["week"],
            "start": _date.to_representation(week["start"]),
            "created": week["created"],
            "completed": week["completed"],
        }


class CycleTimeSerializer(serializers.Serializer):
    completed = serializers.IntegerField(help_text="Tasks completed within the range (the sample).")
    median_hours = serializers.FloatField(allow_null=True, help_text="Median of completed_at - created_at, hours.")
    p90_hours = serializers.FloatField(allow_null=True, help_text="90th percentile (interpolated), hours.")


class ReportSerializer(serializers.Serializer):
    organization = ReportOrganizationSerializer()
    range = ReportRangeSerializer()
    totals = ReportTotalsSerializer()
    by_status = StatusCountSerializer(many=True, help_text="Every status, zeros included.")
    by_priority = PriorityCountSerializer(many=True, help_text="Every priority, zeros included.")
    by_assignee = AssigneeFiguresSerializer(many=True, help_text="Assignees with tasks, most open work first.")
    weeks = WeekFiguresSerializer(many=True, help_text="Every ISO week the range touches, in order, zeros included.")
    cycle_time = CycleTimeSerializer()


# --- Exports and settings ------------------------------------------------------------------


# What the signed links of report exports are for (config.signed_links): they open this and nothing else.
SIGNED_DOWNLOAD_PURPOSE = "report-export-download"


class ReportExportSerializer(DownloadLinksSerializer):
    signed_link_purpose = SIGNED_DOWNLOAD_PURPOSE
    signed_download_url_name = "report-export-signed-download"
    api_download_url_name = "report-export-download"

    id = serializers.UUIDField(read_only=True)
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    requested_by = UserReferenceSerializer(read_only=True, allow_null=True)
    format = serializers.ChoiceField(choices=ExportFormat.choices, read_only=True)
    state = serializers.ChoiceField(choices=ExportState.choices, read_only=True)
    error = StrictCharField(
        source="last_error", read_only=True, help_text="Why the export failed (or is being built again); else empty."
    )
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(source="claimed_at", read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.SerializerMethodField(
        help_text="When the built file is deleted (`RETENTION_REPORT_FILES_DAYS` after it was built; the export "
        "then turns `expired`); null until built."
    )

    def get_fields(self):
        fields = super().get_fields()
        dates = {
            "from": serializers.DateField(source="date_from", read_only=True),
            "to": serializers.DateField(source="date_to", read_only=True),
        }
        order = [
            "id",
            "organization",
            "requested_by",
            "format",
            "from",
            "to",
            "state",
            "error",
            "download_url",
            "download_url_expires_at",
            "api_download_url",
        ]
        merged = {**fields, **dates}
        return {name: merged[name] for name in [*order, *(n for n in merged if n not in order)]}

    def get_expires_at(self, export: ReportExport) -> datetime.datetime | None:
        if export.state not in (ExportState.SUCCEEDED, ExportState.EXPIRED) or export.finished_at is None:
            return None
        return export.finished_at + datetime.timedelta(days=settings.RETENTION_REPORT_FILES_DAYS)

    def file_is_ready(self, export: ReportExport) -> bool:
        return export.is_ready

    def url_kwargs(self, export: ReportExport) -> dict:
        return {"pk": export.pk}


class ReportSettingsSerializer(StrictModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)

    class Meta:
        model = ReportSettings
        fields = ["organization", "weekly_email", "weekly_email_last_week", "weekly_email_last_sent_at"]
        read_only_fields = ["organization", "weekly_email_last_week", "weekly_email_last_sent_at"]


class ReportSettingsUpdateSerializer(serializers.Serializer):
    weekly_email = serializers.BooleanField(
        required=False, help_text="Email the weekly report to the organization's owners and admins (Mondays)."
    )
