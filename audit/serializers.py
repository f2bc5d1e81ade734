from rest_framework import serializers

from audit.models import AuditEvent
from config.serializers import StrictCharField, StrictModelSerializer


class SecurityEventSerializer(StrictModelSerializer):
    """One event of the caller's account, without who else was involved beyond "an administrator"."""

    description = StrictCharField(source="get_kind_display", read_only=True)
    by_administrator = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "kind",
            "description",
            "data",
            "ip",
            "user_agent",
            "session_id",
            "by_administrator",
            "created_at",
        ]
        read_only_fields = fields

    def get_by_administrator(self, event: AuditEvent) -> bool:
        return event.actor_id is not None and event.actor_id != event.user_id
