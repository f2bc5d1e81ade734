import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from accounts.serializers import UserReferenceSerializer
from config.serializers import StrictCharField, StrictModelSerializer
from organizations.changes import Action
from orgaudit.models import OrganizationAuditRecord

MAX_ACTIONS = 20


class DateOrDateTimeField(serializers.Field):
    """An ISO 8601 date (``2025-03-01``) or date-time (``2025-03-01T12:00:00Z``; without an offset, in
    ``TIME_ZONE``); the internal value is a ``date`` or an aware ``datetime``."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or an ISO 8601 date-time."}

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            # The date first: parse_datetime reads a bare date as its midnight.
            day = parse_date(text)
            moment = None if day is not None else parse_datetime(text)
        except ValueError:
            self.fail("invalid")
        if day is not None:
            return day
        if moment is None:
            self.fail("invalid")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def to_representation(self, value):
        return value.isoformat()


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditLogQuerySerializer(serializers.Serializer):
    """The audit log's filters; ``from``/``to`` are inclusive (a date ``to`` covers that whole day)."""

    actor = serializers.UUIDField(required=False, help_text="The acting person's user id.")
    action = StrictCharField(
        required=False, help_text="One action, or several separated by commas (`member.added,member.removed`)."
    )
    target_type = StrictCharField(required=False, max_length=64)
    target_id = StrictCharField(required=False, max_length=64)

    def get_fields(self):
        # ``from`` is a keyword in Python: declared here rather than as class attributes.
        return {
            **super().get_fields(),
            "from": DateOrDateTimeField(required=False),
            "to": DateOrDateTimeField(required=False),
        }

    def to_internal_value(self, data):
        # An empty parameter (`?action=`) means the parameter is absent, as everywhere in the API.
        if hasattr(data, "items"):
            data = {key: value for key, value in data.items() if value not in ("", None)}
        return super().to_internal_value(data)

    def validate_action(self, value):
        given = [part.strip() for part in value.split(",") if part.strip()]
        # Counted as given, repeats too: the schema's ``maxItems`` counts the values sent (found by the fuzzer).
        if len(given) > MAX_ACTIONS:
            raise serializers.ValidationError(f"Give at most {MAX_ACTIONS} actions.", code="invalid")
        actions = sorted(set(given))
        unknown = [action for action in actions if action not in Action.values]
        if unknown:
            raise serializers.ValidationError(f"Unknown action: {unknown[0]}.", code="invalid_choice")
        return actions

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if isinstance(start, datetime.date) and not isinstance(start, datetime.datetime):
            start = _start_of(start)
        if isinstance(end, datetime.date) and not isinstance(end, datetime.datetime):
            end = _start_of(end + datetime.timedelta(days=1))
        elif end is not None:
            end = end + datetime.timedelta(microseconds=1)
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError({"from": "`from` is after `to`."}, code="invalid_range")
        return {
            "actor_id": attrs.get("actor"),
            "actions": attrs.get("action") or None,
            "target_type": attrs.get("target_type", ""),
            "target_id": attrs.get("target_id", ""),
            "occurred_from": start,
            "occurred_before": end,
        }


class AuditRecordSerializer(StrictModelSerializer):
    actor = UserReferenceSerializer(with_email=True, allow_null=True, read_only=True)

    class Meta:
        model = OrganizationAuditRecord
        fields = [
            "id",
            "occurred_at",
            "action",
            "actor",
            "actor_kind",
            "credential_id",
            "credential_label",
            "ip",
            "request_id",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
            "change_id",
        ]
        read_only_fields = fields
