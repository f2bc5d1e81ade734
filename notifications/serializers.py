from django.contrib.auth import get_user_model
from rest_framework import serializers

from notifications.models import Notification


class NotificationActorSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    """An in-app notification. ``target_type``/``target_id`` name what it is about (e.g. a task)."""

    actor = NotificationActorSerializer(read_only=True, allow_null=True)
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
