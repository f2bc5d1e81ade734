from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import serializers

from config.serializers import StrictModelSerializer
from notifications.models import Notification

# accounts sends its emails and webhooks through this app, so this app names users through the
# serializer the settings point at, as it names their model through AUTH_USER_MODEL.
UserReferenceSerializer = import_string(settings.USER_REFERENCE_SERIALIZER)


class NotificationSerializer(StrictModelSerializer):
    """An in-app notification. ``target_type``/``target_id`` name what it is about (e.g. a task)."""

    actor = UserReferenceSerializer(read_only=True, allow_null=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "actor",
            "organization_id",
            "target_type",
            "target_id",
            "data",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationReadAllSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many notifications were unread and are now read.")
